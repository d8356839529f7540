/// Reads a duration as people write one on a command line: a number of seconds, or a number
/// with `s`, `m`, `h` or `d` (`90`, `45m`, `24h`, `1.5d`).
public enum DurationText {
    /// The duration of `text`, or `nil` for anything else (negative, empty, unknown unit, or
    /// more milliseconds than a 64-bit integer holds).
    public static func parse(_ text: String) -> Duration? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        var number = Substring(text.trimmingSpaces)
        var multiplier = 1.0
        if let last = number.last, let unit = units[last] {
            multiplier = unit
            number = number.dropLast()
        }
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard number.utf8.count <= 15, !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }),
            let value = Double(number)
        else {
            return nil
        }
        let milliseconds = (value * multiplier * 1000).rounded()
        guard milliseconds < Double(Int64.max) else { return nil }  // 2^63: the first that does not fit
        return .milliseconds(Int64(milliseconds))
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
