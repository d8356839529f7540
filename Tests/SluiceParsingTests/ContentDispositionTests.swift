import SluiceTestSupport
import Testing

@testable import SluiceParsing

@Suite("ContentDisposition")
struct ContentDispositionTests {
    private func value(_ name: String, _ kind: ContentDisposition.Kind = .attachment) -> String {
        ContentDisposition.value(disposition: kind, filename: name)
    }

    @Test func plainASCII() {
        #expect(value("report.pdf") == "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf")
        #expect(value("report.pdf", .inline) == "inline; filename=\"report.pdf\"; filename*=UTF-8''report.pdf")
    }

    @Test func cyrillic() {
        #expect(
            value("привет мир.txt")
                == "attachment; filename=\"______ ___.txt\"; "
                + "filename*=UTF-8''%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82%20%D0%BC%D0%B8%D1%80.txt"
        )
    }

    @Test func emojiAndCombiningMarks() {
        #expect(value("😀.png") == "attachment; filename=\"_.png\"; filename*=UTF-8''%F0%9F%98%80.png")
        // Family emoji: 3 people joined by 2 ZWJs, 5 scalars.
        #expect(ContentDisposition.asciiFallback("👨‍👩‍👧") == "_____")
        #expect(ContentDisposition.asciiFallback("cafe\u{301}") == "cafe_")
        #expect(ContentDisposition.asciiFallback("caf\u{E9}") == "caf_")
        #expect(ContentDisposition.percentEncoded("caf\u{E9}") == "caf%C3%A9")
    }

    @Test func quotesAndBackslashesAreReplaced() {
        #expect(
            value("say \"hi\"\\.txt")
                == "attachment; filename=\"say _hi__.txt\"; filename*=UTF-8''say%20%22hi%22%5C.txt"
        )
    }

    @Test func controlCharactersNeverReachTheHeader() {
        let hostile = "evil\r\nSet-Cookie: a=b\u{0}\t\u{7F}\u{1B}[0m.txt"
        let header = value(hostile)
        #expect(header.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F })
        #expect(
            header
                == "attachment; filename=\"evil__Set-Cookie: a=b____[0m.txt\"; "
                + "filename*=UTF-8''evil%0D%0ASet-Cookie%3A%20a%3Db%00%09%7F%1B%5B0m.txt"
        )
    }

    @Test func percentSemicolonAndOtherSpecials() {
        #expect(
            value("100% done; final*'v2'.txt")
                == "attachment; filename=\"100% done; final*'v2'.txt\"; "
                + "filename*=UTF-8''100%25%20done%3B%20final%2A%27v2%27.txt"
        )
        #expect(ContentDisposition.percentEncoded("a,b=c/d?e(f)g[h]i{j}k<l>m@n:o") ==
            "a%2Cb%3Dc%2Fd%3Fe%28f%29g%5Bh%5Di%7Bj%7Dk%3Cl%3Em%40n%3Ao")
    }

    @Test func attrCharsAreKept() {
        let attrChars = "abcxyzABCXYZ0189!#$&+-.^_`|~"
        #expect(ContentDisposition.percentEncoded(attrChars) == attrChars)
    }

    @Test func everyOtherASCIIByteIsEncoded() {
        let attrChars = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&+-.^_`|~".utf8)
        for byte in UInt8(0)...UInt8(127) where !attrChars.contains(byte) {
            let name = String(decoding: [byte], as: UTF8.self)
            let hex = String(byte, radix: 16, uppercase: true)
            #expect(ContentDisposition.percentEncoded(name) == "%" + (hex.count == 1 ? "0" : "") + hex)
        }
    }

    @Test func emptyNameBecomesFile() {
        #expect(value("") == "attachment; filename=\"file\"; filename*=UTF-8''file")
        #expect(value(" ") == "attachment; filename=\" \"; filename*=UTF-8''%20")
    }

    @Test func outputIsAlwaysPrintableASCII() {
        var rng = SplitMix64(seed: 0xC0DE)
        let pool: [Character] = [
            "a", "Z", "0", " ", "\"", "\\", "%", ";", "\r", "\n",
            "\u{0}", "\u{7F}", "é", "я", "😀", "\u{301}", "'", "*",
        ]
        for _ in 0..<2_000 {
            let name = String((0..<Int(rng.next() % 20)).map { _ in pool[Int(rng.next() % UInt64(pool.count))] })
            let header = value(name)
            let printable = header.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }
            #expect(printable, "\(name.debugDescription)")
            let fallback = ContentDisposition.asciiFallback(name)
            #expect(fallback.unicodeScalars.count == name.unicodeScalars.count)
            #expect(!fallback.contains("\"") && !fallback.contains("\\"))
        }
    }
}
