import SluiceTestSupport
import Testing

import SluiceParsing

@Suite("ByteSize")
struct ByteSizeTests {
    @Test(arguments: [
        ("0", Int64(0)),
        ("1", 1),
        ("1048576", 1_048_576),
        ("007", 7),
        ("9223372036854775807", Int64.max),
        ("00000000000000000000000009223372036854775807", Int64.max),
        ("0B", 0),
        ("1B", 1),
        ("1b", 1),
        ("10KB", 10_000),
        ("10MB", 10_000_000),
        ("10GB", 10_000_000_000),
        ("10TB", 10_000_000_000_000),
        ("10KiB", 10_240),
        ("10MiB", 10_485_760),
        ("10GiB", 10_737_418_240),
        ("1TiB", 1_099_511_627_776),
        ("1tib", 1_099_511_627_776),
        ("1TIB", 1_099_511_627_776),
        ("1 TiB", 1_099_511_627_776),
        ("1\tTiB", 1_099_511_627_776),
        ("1   TiB", 1_099_511_627_776),
        ("  1TiB  ", 1_099_511_627_776),
        ("10mb", 10_000_000),
        ("10Mb", 10_000_000),
        ("1.5KiB", 1_536),
        ("1.5 GiB", 1_610_612_736),
        ("1.5GB", 1_500_000_000),
        ("0.5KB", 500),
        ("0.0001KB", 0),
        ("0.001KB", 1),
        ("0.9999B", 0),
        ("1.9B", 1),
        ("2.0MiB", 2_097_152),
        ("0.1KiB", 102),
        ("0.0009765625KiB", 1),
        ("0.0009765624KiB", 0),
        ("0.333333333333333333333333333333333333333TiB", 366_503_875_925),
        ("0.99999999999999999999999999999999999999999TiB", 1_099_511_627_775),
        ("8388607TiB", 9_223_370_937_343_148_032),
        ("8388607.99999TiB", 9_223_372_036_843_780_691),
        ("9223372036854775.807KB", Int64.max),
        ("9223372.036854775807TB", Int64.max),
    ])
    func validSizes(text: String, expected: Int64) {
        #expect(ByteSize.parse(text) == expected)
    }

    @Test(arguments: [
        "",
        " ",
        "\t\t",
        "-1",
        "-0",
        "+1",
        "1e3",
        "1E3",
        "1.5",
        "1.0",
        ".5KB",
        "1.KB",
        "1..5KB",
        "1.5.5KB",
        "KB",
        "MiB",
        "1 2",
        "1_000",
        "1,000",
        "1K",
        "1M",
        "1G",
        "1KiBB",
        "1 KiB x",
        "1 K iB",
        "1kbit",
        "1bytes",
        "8EiB",
        "1PiB",
        "1PB",
        "1EB",
        "0x10",
        "NaN",
        "inf",
        "9223372036854775808",
        "99999999999999999999999999",
        "9223372036854775808B",
        "8388608TiB",
        "8388608.0TiB",
        "9223372036854775.808KB",
        "9223372.036854775808TB",
        "9223372036854775807.5B9",
        "10\u{0}MB",
        "10MB\u{0}",
        "\u{0}10",
        "１０MB",
        "10ＭＢ",
        "10\u{212A}B",
        "١٠",
        "10 МБ",
        "10\r\nMB",
        "10\nMB",
        "😀",
    ])
    func invalidSizes(text: String) {
        #expect(ByteSize.parse(text) == nil)
    }

    @Test func wholeNumbersAreExactForEveryUnit() {
        let units: [(String, Int64)] = [
            ("B", 1), ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000),
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40),
        ]
        for (unit, multiplier) in units {
            let maxWhole = Int64.max / multiplier
            for n in [0, 1, 3, 1023, 1024, 999_999, maxWhole - 1, maxWhole] {
                #expect(ByteSize.parse("\(n)\(unit)") == n * multiplier, "\(n)\(unit)")
            }
            let tooMany = UInt64(maxWhole) + 1
            #expect(ByteSize.parse("\(tooMany)\(unit)") == nil, "\(tooMany)\(unit)")
        }
    }

    /// Random inputs from a grammar-biased alphabet: never crashes, never returns a negative,
    /// and agrees with an independent model for inputs shaped like `digits[.digits][ ]unit`.
    @Test func fuzz() {
        var rng = SplitMix64(seed: 0xB17E5)
        let alphabet = [
            "0", "1", "5", "9", "00", "123", "9223372036854775807", "99999999999", ".", ".", " ", "\t",
            "B", "b", "K", "k", "i", "I", "M", "G", "T", "KB", "MiB", "GiB", "TiB", "e", "-", "+", "x",
            "\u{0}", "é", "😀", ",", "_",
        ]
        let units: [(String, Int64)] = [
            ("", 1), ("B", 1), ("kb", 1_000), ("MB", 1_000_000), ("Gb", 1_000_000_000), ("TB", 1_000_000_000_000),
            ("KiB", 1 << 10), ("mib", 1 << 20), ("GiB", 1 << 30), ("TIB", 1 << 40),
        ]
        var (modelledValid, modelledInvalid) = (0, 0)
        for _ in 0..<20_000 {
            if rng.next() % 2 == 0 {
                let text = (0..<Int(rng.next() % 8))
                    .map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
                    .joined()
                if let value = ByteSize.parse(text) {
                    #expect(value >= 0, "\(text.debugDescription)")
                }
            } else {
                let whole = rng.next() % 3 == 0 ? rng.next() % 10_000_000_000_000 : rng.next() % 10_000
                let fractionDigits = Int(rng.next() % 6)
                let fraction = rng.next() % 100_000
                let fractionText = String(String(fraction).padded(toLength: 5).prefix(fractionDigits))
                let (unit, multiplier) = units[Int(rng.next() % UInt64(units.count))]
                let separator = rng.next() % 2 == 0 ? " " : ""
                let text = "\(whole)" + (fractionDigits == 0 ? "" : "." + fractionText) + separator + unit
                let expected = Self.model(whole: whole, fraction: fractionText, unit: unit, multiplier: multiplier)
                #expect(ByteSize.parse(text) == expected, "\(text.debugDescription)")
                if expected != nil { modelledValid += 1 }
                if expected == nil { modelledInvalid += 1 }
            }
        }
        #expect(modelledValid > 1_000 && modelledInvalid > 500)
    }

    /// Exact reference using 128-bit arithmetic (fractions here have at most 5 digits).
    private static func model(whole: UInt64, fraction: String, unit: String, multiplier: Int64) -> Int64? {
        if unit.isEmpty, !fraction.isEmpty { return nil }
        let scale = (0..<fraction.count).reduce(UInt128(1)) { value, _ in value * 10 }
        let numerator = (UInt128(whole) * scale + UInt128(UInt64(fraction) ?? 0)) * UInt128(multiplier)
        let result = numerator / scale
        return result <= UInt128(Int64.max) ? Int64(result) : nil
    }
}

extension String {
    /// Left-pads with zeros to `length` characters.
    fileprivate func padded(toLength length: Int) -> String {
        String(repeating: "0", count: max(0, length - count)) + self
    }
}
