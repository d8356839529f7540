/// Parses human-written byte sizes such as `1048576`, `10MB`, `1.5 GiB` into exact byte counts.
///
/// Grammar (after trimming surrounding spaces/tabs): `DIGITS [ "." DIGITS ] *( SP / HTAB ) UNIT`
/// or plain `DIGITS` (bytes; a fraction requires a unit). Units, ASCII-case-insensitive: `B`;
/// `KB` `MB` `GB` `TB` (powers of 1000); `KiB` `MiB` `GiB` `TiB` (powers of 1024). Fractions are
/// computed exactly in integer arithmetic and truncated toward zero (`1.5KiB` = 1536,
/// `0.0001KB` = 0). Signs, exponents, other units, empty input and results above `Int64.max`
/// yield nil.
public enum ByteSize {
    /// The byte count described by `text`, or nil when it is not a valid size.
    public static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        var index = 0
        var end = bytes.count
        while index < end, isBlank(bytes[index]) { index += 1 }
        while end > index, isBlank(bytes[end - 1]) { end -= 1 }

        // Integer part.
        let integerStart = index
        var integer: Int64 = 0
        while index < end, let digit = digitValue(bytes[index]) {
            let (times10, overflow1) = integer.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            integer = sum
            index += 1
        }
        guard index > integerStart else { return nil }

        // Optional fraction part.
        var fraction: ArraySlice<UInt8> = []
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while index < end, digitValue(bytes[index]) != nil { index += 1 }
            guard index > fractionStart else { return nil }
            fraction = bytes[fractionStart..<index]
        }

        // Optional blanks, then the unit.
        while index < end, isBlank(bytes[index]) { index += 1 }
        let unit = String(decoding: bytes[index..<end].map(lowercasedASCII), as: UTF8.self)
        let multiplier: Int64
        switch unit {
        case "":
            guard fraction.isEmpty else { return nil }
            multiplier = 1
        case "b": multiplier = 1
        case "kb": multiplier = 1_000
        case "mb": multiplier = 1_000_000
        case "gb": multiplier = 1_000_000_000
        case "tb": multiplier = 1_000_000_000_000
        case "kib": multiplier = 1 << 10
        case "mib": multiplier = 1 << 20
        case "gib": multiplier = 1 << 30
        case "tib": multiplier = 1 << 40
        default: return nil
        }

        let (whole, overflow1) = integer.multipliedReportingOverflow(by: multiplier)
        let (total, overflow2) = whole.addingReportingOverflow(fractionTimes(multiplier, digits: fraction))
        guard !overflow1, !overflow2 else { return nil }
        return total
    }

    /// `floor(multiplier * 0.d1d2…dn)` computed exactly: long multiplication of the decimal
    /// fraction by `multiplier`, from the last digit to the first; the final carry is the
    /// integer part. Every intermediate stays below `10 * multiplier`.
    private static func fractionTimes(_ multiplier: Int64, digits: ArraySlice<UInt8>) -> Int64 {
        var carry: Int64 = 0
        for byte in digits.reversed() {
            carry = (Int64(byte - UInt8(ascii: "0")) * multiplier + carry) / 10
        }
        return carry
    }

    private static func digitValue(_ byte: UInt8) -> Int64? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int64(byte - UInt8(ascii: "0")) : nil
    }

    private static func lowercasedASCII(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }
}
