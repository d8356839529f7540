/// A non-empty, inclusive range of byte offsets `first...last` within a representation.
///
/// Invariant (checked by the initializer): `0 <= first <= last < Int64.max`, so `count` is
/// always representable. Ranges produced by ``parse(_:size:)`` additionally satisfy
/// `last < size`.
public struct ByteRange: Equatable, Sendable {
    /// Offset of the first byte, inclusive.
    public let first: Int64
    /// Offset of the last byte, inclusive.
    public let last: Int64

    /// Number of bytes covered, `last - first + 1` (always at least 1).
    public var count: Int64 { last - first + 1 }

    /// Creates a range; traps unless `0 <= first <= last < Int64.max`.
    public init(first: Int64, last: Int64) {
        precondition(first >= 0 && first <= last && last < Int64.max, "invalid ByteRange \(first)-\(last)")
        self.first = first
        self.last = last
    }

    /// The `Content-Range` value for a 206 response, e.g. `bytes 0-99/1000`.
    public func contentRange(size: Int64) -> String {
        "bytes \(first)-\(last)/\(size)"
    }

    /// Outcome of evaluating a `Range` header field value against a representation of known size.
    public enum Selection: Equatable, Sendable {
        /// Not a usable byte-range request (malformed, another unit, overflowing numbers, over the
        /// limits): the header must be ignored and the full representation served (200).
        case ignored
        /// Exactly one range overlaps the representation: serve it (206).
        case single(ByteRange)
        /// More than one range overlaps the representation. Sluice does not produce
        /// `multipart/byteranges`; callers answer 200 with the full representation.
        case multiple([ByteRange])
        /// Every range is syntactically valid but none overlaps `[0, size)`: answer 416.
        case unsatisfiable
    }

    /// Longest `Range` value (in UTF-8 bytes) that is evaluated; longer values are ignored.
    public static let maxHeaderLength = 4096
    /// Largest number of range specs that is evaluated; longer lists are ignored.
    public static let maxRangeCount = 100

    /// Evaluates a `Range` header field value per RFC 9110 §14.1.2 for a representation of
    /// `size` bytes (a negative size is treated as 0).
    ///
    /// Accepts `bytes=a-b`, `bytes=a-`, `bytes=-n` and comma-separated lists of those with
    /// optional whitespace around elements; empty list elements are skipped. The unit is matched
    /// case-insensitively. `last` beyond the end is clamped to `size - 1`; a suffix longer than
    /// the representation selects all of it. Anything else — another unit, `a > b`, a number
    /// larger than `Int64.max`, non-digits, no range at all, more than ``maxHeaderLength`` bytes
    /// or more than ``maxRangeCount`` ranges — yields ``Selection/ignored``.
    public static func parse(_ header: String, size: Int64) -> Selection {
        guard header.utf8.count <= maxHeaderLength else { return .ignored }
        let bytes = Array(header.utf8)
        var start = 0
        var end = bytes.count
        while start < end, isOWS(bytes[start]) { start += 1 }
        while end > start, isOWS(bytes[end - 1]) { end -= 1 }

        let unit: [UInt8] = Array("bytes=".utf8)
        guard end - start > unit.count else { return .ignored }
        for (offset, expected) in unit.enumerated() where lowercasedASCII(bytes[start + offset]) != expected {
            return .ignored
        }

        var specs: [Spec] = []
        var elementStart = start + unit.count
        while true {
            var elementEnd = elementStart
            while elementEnd < end, bytes[elementEnd] != UInt8(ascii: ",") { elementEnd += 1 }
            var lo = elementStart
            var hi = elementEnd
            while lo < hi, isOWS(bytes[lo]) { lo += 1 }
            while hi > lo, isOWS(bytes[hi - 1]) { hi -= 1 }
            if lo < hi {
                guard let spec = parseSpec(bytes, lo, hi) else { return .ignored }
                specs.append(spec)
                guard specs.count <= maxRangeCount else { return .ignored }
            }
            if elementEnd >= end { break }
            elementStart = elementEnd + 1
        }
        guard !specs.isEmpty else { return .ignored }

        let size = max(size, 0)
        let satisfiable = specs.compactMap { $0.resolve(size: size) }
        switch satisfiable.count {
        case 0: return .unsatisfiable
        case 1: return .single(satisfiable[0])
        default: return .multiple(satisfiable)
        }
    }

    /// One syntactically valid range spec, before it is applied to a size.
    private enum Spec {
        /// `first-` (`last == nil`) or `first-last` with `first <= last`.
        case from(first: Int64, last: Int64?)
        /// `-length`: the final `length` bytes.
        case suffix(length: Int64)

        func resolve(size: Int64) -> ByteRange? {
            switch self {
            case let .from(first, last):
                guard first < size else { return nil }
                return ByteRange(first: first, last: min(last ?? (size - 1), size - 1))
            case let .suffix(length):
                guard length > 0, size > 0 else { return nil }
                return ByteRange(first: length >= size ? 0 : size - length, last: size - 1)
            }
        }
    }

    /// Parses `bytes[lo..<hi]` (non-empty, already trimmed) as an int-range or suffix-range.
    private static func parseSpec(_ bytes: [UInt8], _ lo: Int, _ hi: Int) -> Spec? {
        var dash = lo
        while dash < hi, bytes[dash] != UInt8(ascii: "-") { dash += 1 }
        guard dash < hi else { return nil }
        if dash == lo {
            guard let length = parseDigits(bytes, lo + 1, hi) else { return nil }
            return .suffix(length: length)
        }
        guard let first = parseDigits(bytes, lo, dash) else { return nil }
        if dash + 1 == hi { return .from(first: first, last: nil) }
        guard let last = parseDigits(bytes, dash + 1, hi), first <= last else { return nil }
        return .from(first: first, last: last)
    }

    /// Parses a non-empty run of ASCII digits; nil on any other byte or on overflow.
    private static func parseDigits(_ bytes: [UInt8], _ lo: Int, _ hi: Int) -> Int64? {
        guard lo < hi else { return nil }
        var value: Int64 = 0
        for index in lo..<hi {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return value
    }

    private static func isOWS(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    private static func lowercasedASCII(_ byte: UInt8) -> UInt8 {
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) ? byte + 32 : byte
    }
}
