/// Comparison of secrets whose running time does not depend on where they differ.
public enum ConstantTime {
    /// Whether `left` and `right` hold the same bytes; inputs of equal length are compared to
    /// their last byte, without an early exit.
    public static func equals(_ left: some Collection<UInt8>, _ right: some Collection<UInt8>) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(left, right) { difference |= a ^ b }
        return difference == 0
    }
}
