import SluiceTestSupport
import Testing

@testable import SluiceParsing

@Suite("ByteRange")
struct ByteRangeTests {
    private func range(_ first: Int64, _ last: Int64) -> ByteRange {
        ByteRange(first: first, last: last)
    }

    @Test func countAndContentRange() {
        #expect(range(0, 0).count == 1)
        #expect(range(10, 19).count == 10)
        #expect(range(0, Int64.max - 1).count == Int64.max)
        #expect(range(0, 99).contentRange(size: 1000) == "bytes 0-99/1000")
    }

    @Test(arguments: [
        ("bytes=0-0", Int64(0), Int64(0)),
        ("bytes=0-99", 0, 99),
        ("bytes=10-19", 10, 19),
        ("bytes=99-99", 99, 99),
        ("bytes=50-", 50, 99),
        ("bytes=0-", 0, 99),
        ("bytes=99-", 99, 99),
        ("bytes=-1", 99, 99),
        ("bytes=-10", 90, 99),
        ("bytes=-100", 0, 99),
        ("bytes=-101", 0, 99),
        ("bytes=-9223372036854775807", 0, 99),
        ("bytes=0-1000", 0, 99),
        ("bytes=50-9223372036854775807", 50, 99),
        ("bytes=007-010", 7, 10),
        ("bytes=0000000000000000000000000000001-2", 1, 2),
        ("BYTES=0-0", 0, 0),
        ("Bytes=1-2", 1, 2),
        ("bYtEs=1-2", 1, 2),
        ("  bytes=1-2\t ", 1, 2),
        ("bytes= 1-2 ", 1, 2),
        ("bytes=1-2,", 1, 2),
        ("bytes=,1-2", 1, 2),
        ("bytes=1-2, ,\t,", 1, 2),
        ("bytes=1-2, 500-600", 1, 2),
        ("bytes=500-600, -5", 95, 99),
    ])
    func singleRanges(header: String, first: Int64, last: Int64) {
        #expect(ByteRange.parse(header, size: 100) == .single(range(first, last)))
    }

    @Test(arguments: [
        "",
        " ",
        "\t \t",
        "bytes",
        "bytes=",
        "bytes= ",
        "bytes=,",
        "bytes=, ,",
        "bytes=-",
        "bytes=--5",
        "bytes=5--",
        "bytes=5-3",
        "bytes=abc",
        "bytes=a-b",
        "bytes=1-2-3",
        "bytes=1 - 2",
        "bytes=1- 2",
        "bytes=+1-2",
        "bytes=1-+2",
        "bytes=-+2",
        "bytes=1.5-2",
        "bytes=0x10-0x20",
        "bytes=1-2;3-4",
        "bytes=1-2,abc",
        "bytes=1-2,5-3",
        "bytes=0-0,,--1",
        "bytes 0-5",
        "bytes =0-5",
        "bytes:0-5",
        "=0-5",
        "0-5",
        "items=0-5",
        "byte=0-5",
        "bytesx=0-5",
        "octets=0-5",
        "bytes=99999999999999999999999-",
        "bytes=0-99999999999999999999999",
        "bytes=-99999999999999999999999",
        "bytes=9223372036854775808-",
        "bytes=0-9223372036854775808",
        "bytes=-9223372036854775808",
        "bytes=\u{0}0-5",
        "bytes=0-5\u{0}",
        "bytes=0\u{0}-5",
        "\u{0}bytes=0-5",
        "bytes=０-５",
        "bytes=١-٢",
        "bÿtes=0-5",
        "bytes=0-5, привет",
        "bytes=😀",
        "bytes=\r\n0-5",
        "bytes=0-5\r\n",
    ])
    func ignoredHeaders(header: String) {
        #expect(ByteRange.parse(header, size: 100) == .ignored)
    }

    @Test(arguments: [
        ("bytes=100-", Int64(100)),
        ("bytes=500-", 100),
        ("bytes=100-200", 100),
        ("bytes=9223372036854775806-9223372036854775807", 100),
        ("bytes=-0", 100),
        ("bytes=-0, 100-", 100),
        ("bytes=0-0", 0),
        ("bytes=0-", 0),
        ("bytes=-1", 0),
        ("bytes=-0", 0),
        ("bytes=5-10, 20-", 0),
        ("bytes=0-0", -5),
    ])
    func unsatisfiable(header: String, size: Int64) {
        #expect(ByteRange.parse(header, size: size) == .unsatisfiable)
    }

    @Test func multipleSatisfiableRanges() {
        #expect(ByteRange.parse("bytes=0-9,20-29", size: 100) == .multiple([range(0, 9), range(20, 29)]))
        #expect(ByteRange.parse("bytes=0-0, 0-0", size: 100) == .multiple([range(0, 0), range(0, 0)]))
        #expect(ByteRange.parse("bytes=0-, -1", size: 100) == .multiple([range(0, 99), range(99, 99)]))
        #expect(ByteRange.parse("bytes=0-9 , 500-, 90-", size: 100) == .multiple([range(0, 9), range(90, 99)]))
    }

    @Test func largeSizes() {
        let size = Int64.max
        #expect(ByteRange.parse("bytes=0-", size: size) == .single(range(0, Int64.max - 1)))
        #expect(ByteRange.parse("bytes=-1", size: size) == .single(range(Int64.max - 1, Int64.max - 1)))
        #expect(ByteRange.parse("bytes=-9223372036854775807", size: size) == .single(range(0, Int64.max - 1)))
        #expect(
            ByteRange.parse("bytes=9223372036854775806-9223372036854775807", size: size)
                == .single(range(Int64.max - 1, Int64.max - 1))
        )
    }

    @Test func rangeCountLimit() {
        let hundred = "bytes=" + Array(repeating: "0-0", count: 100).joined(separator: ",")
        #expect(ByteRange.parse(hundred, size: 10) == .multiple(Array(repeating: range(0, 0), count: 100)))
        let hundredOne = "bytes=" + Array(repeating: "0-0", count: 101).joined(separator: ",")
        #expect(ByteRange.parse(hundredOne, size: 10) == .ignored)
        let hundredOneUnsatisfiable = "bytes=" + Array(repeating: "50-", count: 101).joined(separator: ",")
        #expect(ByteRange.parse(hundredOneUnsatisfiable, size: 10) == .ignored)
        // Empty elements are not ranges and do not count.
        let sparse = "bytes=" + Array(repeating: "0-0", count: 100).joined(separator: ",,")
        #expect(ByteRange.parse(sparse, size: 10) == .multiple(Array(repeating: range(0, 0), count: 100)))
    }

    @Test func lengthLimit() {
        let padding = String(repeating: " ", count: 4096 - "bytes=0-0".utf8.count)
        #expect(ByteRange.parse("bytes=0-0" + padding, size: 10) == .single(range(0, 0)))
        #expect(ByteRange.parse("bytes=0-0" + padding + " ", size: 10) == .ignored)
        let zeros = "bytes=" + String(repeating: "0", count: 5000) + "1-2"
        #expect(ByteRange.parse(zeros, size: 10) == .ignored)
        let commas = "bytes=0-0" + String(repeating: ",", count: 10_000)
        #expect(ByteRange.parse(commas, size: 10) == .ignored)
        let moreCommas = "bytes=" + String(repeating: ",", count: 10_000) + "0-0"
        #expect(ByteRange.parse(moreCommas, size: 10) == .ignored)
        let nonASCII = "bytes=0-0," + String(repeating: "é", count: 3000)
        #expect(ByteRange.parse(nonASCII, size: 10) == .ignored)
    }

    @Test func someCommasWithinLimits() {
        let commas = "bytes=0-0" + String(repeating: ",", count: 4000)
        #expect(ByteRange.parse(commas, size: 10) == .single(range(0, 0)))
        let onlyCommas = "bytes=" + String(repeating: ",", count: 4000)
        #expect(ByteRange.parse(onlyCommas, size: 10) == .ignored)
    }

    /// Differential fuzzing against an independent, split-based model of the same rules, plus
    /// the invariants every selection must satisfy.
    @Test func fuzzAgainstReferenceModel() {
        var rng = SplitMix64(seed: 0x5EED_0001)
        let sizes: [Int64] = [0, 1, 2, 7, 100, 1000, 4096, Int64.max - 1, Int64.max]
        let tokens = [
            "bytes", "BYTES", "Bytes", "items", "=", "=", "-", "-", "-", ",", ",", " ", "\t", "0", "1", "5",
            "9", "10", "99", "100", "999", "4095", "9223372036854775807", "9223372036854775808",
            "99999999999999999999999", "00", "a", "é", "\u{0}", "\r\n", ";", "+", "*", "😀",
        ]
        var (singles, multiples, unsatisfiables, ignored) = (0, 0, 0, 0)
        for iteration in 0..<20_000 {
            let size = iteration % 3 == 0 ? Int64(rng.next() % 300) : sizes[Int(rng.next() % UInt64(sizes.count))]
            let header: String
            if rng.next() % 4 != 0 {
                header = Self.grammarBiasedHeader(using: &rng)
            } else {
                header = (0..<Int(rng.next() % 12)).map { _ in tokens[Int(rng.next() % UInt64(tokens.count))] }.joined()
            }
            let actual = ByteRange.parse(header, size: size)
            let expected = ReferenceRangeModel.evaluate(header, size: size)
            #expect(actual == expected, "header: \(header.debugDescription) size: \(size)")
            switch actual {
            case let .single(r):
                singles += 1
                #expect(r.first >= 0 && r.first <= r.last && r.last < size)
            case let .multiple(ranges):
                multiples += 1
                #expect(ranges.count >= 2 && ranges.count <= ByteRange.maxRangeCount)
                for r in ranges { #expect(r.first >= 0 && r.first <= r.last && r.last < size) }
            case .unsatisfiable:
                unsatisfiables += 1
            case .ignored:
                ignored += 1
            }
        }
        // The generator must exercise every outcome, or the comparison above proves little.
        #expect(
            singles > 500 && multiples > 500 && unsatisfiables > 500 && ignored > 500,
            "single \(singles), multiple \(multiples), unsatisfiable \(unsatisfiables), ignored \(ignored)"
        )
    }

    /// Mostly well-formed `bytes=` headers with occasional corruption of the unit, the
    /// separators, the numbers or a whole range spec.
    private static func grammarBiasedHeader(using rng: inout SplitMix64) -> String {
        func pick(_ options: [String], _ rng: inout SplitMix64) -> String {
            options[Int(rng.next() % UInt64(options.count))]
        }
        func number(_ rng: inout SplitMix64) -> String {
            switch rng.next() % 10 {
            case 0..<6: return String(rng.next() % 300)
            case 6: return String(rng.next() % 5000)
            case 7: return String(Int64.max - Int64(rng.next() % 3))
            case 8: return pick(["9223372036854775808", "99999999999999999999999", "0000000042", "", "1a", "+1"], &rng)
            default: return "0"
            }
        }
        var header = rng.next() % 10 < 8
            ? pick(["bytes=", "BYTES=", "Bytes=", " bytes="], &rng)
            : pick(["bytes =", "items=", "bytes", "", "bytes==", "bytes:", "bytés="], &rng)
        let count = rng.next() % 20 == 0 ? 0 : 1 + Int(rng.next() % 4)
        for index in 0..<count {
            if index > 0 {
                header += rng.next() % 10 < 9 ? pick([",", ", ", " ,", ",,", ",\t"], &rng) : pick([";", " ", ""], &rng)
            }
            switch rng.next() % 10 {
            case 0..<5:
                let first = number(&rng)
                if let value = Int64(first), value < Int64.max - 100, rng.next() % 4 != 0 {
                    header += first + "-" + String(value + Int64(rng.next() % 100))
                } else {
                    header += first + "-" + number(&rng)
                }
            case 5, 6: header += number(&rng) + "-"
            case 7, 8: header += "-" + number(&rng)
            default: header += pick(["x", "--", " ", "\u{0}", "é", "1-2-3", "-"], &rng) + number(&rng)
            }
        }
        return header
    }
}

/// A deliberately different (split-based, `Int64(String)`-based) model of the Range rules.
private enum ReferenceRangeModel {
    static func evaluate(_ header: String, size: Int64) -> ByteRange.Selection {
        guard header.utf8.count <= 4096 else { return .ignored }
        let isOWS: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        let bytes = Array(header.utf8)
        let trimmed = Array(bytes.drop(while: isOWS).reversed().drop(while: isOWS).reversed())
        guard trimmed.count > 6,
              String(decoding: trimmed[0..<5], as: UTF8.self).lowercased() == "bytes",
              trimmed[5] == UInt8(ascii: "=")
        else { return .ignored }
        let elements = trimmed[6...]
            .split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            .map { Array($0.drop(while: isOWS).reversed().drop(while: isOWS).reversed()) }
            .filter { !$0.isEmpty }
        guard !elements.isEmpty, elements.count <= 100 else { return .ignored }

        func number(_ part: ArraySlice<UInt8>) -> Int64? {
            guard !part.isEmpty, part.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return Int64(String(decoding: part, as: UTF8.self))
        }
        var ranges: [ByteRange] = []
        let size = max(size, 0)
        for element in elements {
            let parts = element.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
            guard parts.count == 2 else { return .ignored }
            if parts[0].isEmpty {
                guard let n = number(parts[1]) else { return .ignored }
                if n > 0, size > 0 { ranges.append(ByteRange(first: max(0, size - n), last: size - 1)) }
            } else {
                guard let a = number(parts[0]) else { return .ignored }
                var b = size - 1
                if !parts[1].isEmpty {
                    guard let last = number(parts[1]), a <= last else { return .ignored }
                    b = min(last, size - 1)
                }
                if a < size { ranges.append(ByteRange(first: a, last: b)) }
            }
        }
        switch ranges.count {
        case 0: return .unsatisfiable
        case 1: return .single(ranges[0])
        default: return .multiple(ranges)
        }
    }
}
