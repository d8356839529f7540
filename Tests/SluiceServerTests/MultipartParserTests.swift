import NIOCore
import Testing

@testable import SluiceServer

/// One part as reassembled from parser events.
private struct Part: Equatable {
    var headers: MultipartPartHeaders
    var body: [UInt8]
}

/// Deterministic generator so failures reproduce.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private let boundary = "----WebKitFormBoundaryX3bY6PBMcxB1vCan"

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Builds a body from parts given as (header lines without the final CRLF, content).
private func makeBody(_ parts: [(String, [UInt8])], boundary: String = boundary, preamble: String = "") -> [UInt8] {
    var out = bytes(preamble)
    for (headers, content) in parts { out += bytes("--\(boundary)\r\n\(headers)\r\n\r\n") + content + bytes("\r\n") }
    return out + bytes("--\(boundary)--\r\nepilogue")
}

private func fileHeaders(_ name: String, _ filename: String, _ type: String = "application/octet-stream") -> String {
    "Content-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(type)"
}

private func fieldHeaders(_ name: String) -> String { "Content-Disposition: form-data; name=\"\(name)\"" }

/// Feeds `input` split at the sorted offsets `cuts`, draining `next()` after every append, then finishes.
/// Returns the events and the largest number of bytes the parser retained after a drain.
private func feed(
    _ input: [UInt8], cuts: [Int] = [], boundary: String = boundary, maxHeaderBytes: Int = 16 * 1024, maxParts: Int = 1000
) throws(MultipartError) -> (events: [MultipartEvent], maxBuffered: Int) {
    var parser = MultipartParser(boundary: boundary, maxHeaderBytes: maxHeaderBytes, maxParts: maxParts)
    var events: [MultipartEvent] = []
    var maxBuffered = 0
    var start = 0
    for end in cuts + [input.count] {
        parser.append(ByteBuffer(bytes: input[start..<end]))
        start = end
        while let event = try parser.next() { events.append(event) }
        maxBuffered = max(maxBuffered, parser.bufferedBytes)
    }
    try parser.finish()
    let afterFinish = try parser.next()
    #expect(afterFinish == nil)
    return (events, maxBuffered)
}

/// Reassembles parts; nil unless the events are `(partBegin body* partEnd)* end` with non-empty bodies.
private func collect(_ events: [MultipartEvent]) -> [Part]? {
    var parts: [Part] = []
    var open = false
    for (index, event) in events.enumerated() {
        switch event {
        case .partBegin(let headers):
            guard !open else { return nil }
            open = true
            parts.append(Part(headers: headers, body: []))
        case .body(let buffer):
            guard open, buffer.readableBytes > 0 else { return nil }
            parts[parts.count - 1].body += buffer.readableBytesView
        case .partEnd:
            guard open else { return nil }
            open = false
        case .end:
            guard !open, index == events.count - 1 else { return nil }
        }
    }
    return events.last == .end ? parts : nil
}

private func parse(_ input: [UInt8], cuts: [Int] = [], maxHeaderBytes: Int = 16 * 1024, maxParts: Int = 1000) -> Result<[Part], MultipartError> {
    do throws(MultipartError) {
        let parts = collect(try feed(input, cuts: cuts, maxHeaderBytes: maxHeaderBytes, maxParts: maxParts).events)
        return .success(parts ?? [Part(headers: MultipartPartHeaders(name: "ILL-FORMED EVENTS"), body: [])])
    } catch {
        return .failure(error)
    }
}

private func headers(_ block: [UInt8]) throws(MultipartError) -> MultipartPartHeaders {
    try MultipartPartHeaders.parse(headerBlock: block + bytes("\r\n"))
}

private func percentEncoded(_ text: String) -> String {
    text.utf8.map { byte in "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true) }.joined()
}

/// Part contents that look like, but are not, delimiters.
private let trickyContents: [[UInt8]] = [
    bytes("a\r\n--"), bytes("\r\n--" + boundary.dropLast()), bytes("--" + boundary + "--"), bytes("x--\(boundary)\r\ny"),
    bytes("--boundar\r"), bytes("\r\r\n\r\n-\r\n--\r\n--" + boundary.prefix(9)), bytes("\r"), [13, 10, 13, 10, 0, 13],
]

@Suite("MultipartParser")
struct MultipartParserTests {
    @Test func browserLikeBodyWithTwoFilesAndAField() throws {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + (0...255).map { UInt8($0) }
        let text = bytes("line one\r\nline two\r\n")
        let input = makeBody([
            (fileHeaders("files", "photo.png", "image/png"), png),
            (fileHeaders("files", "notes.txt", "text/plain"), text),
            (fieldHeaders("description"), bytes("Holiday pictures")),
        ], preamble: "This is the preamble.\r\n")
        #expect(try parse(input).get() == [
            Part(headers: MultipartPartHeaders(name: "files", filename: "photo.png", contentType: "image/png"), body: png),
            Part(headers: MultipartPartHeaders(name: "files", filename: "notes.txt", contentType: "text/plain"), body: text),
            Part(headers: MultipartPartHeaders(name: "description"), body: bytes("Holiday pictures")),
        ])
    }

    @Test func cyrillicFilenames() throws {
        let raw = makeBody([(fileHeaders("f", "Отчёт за 2024.pdf"), bytes("%PDF"))])
        #expect(try parse(raw).get().first?.headers.filename == "Отчёт за 2024.pdf")
        let ext = "Content-Disposition: form-data; name=\"f\"; filename=\"otchet.pdf\"; filename*=UTF-8''"
        let extInput = makeBody([(ext + percentEncoded("отчёт.pdf"), bytes("%PDF"))])
        #expect(try parse(extInput).get().first?.headers.filename == "отчёт.pdf")
        let extFirst = try headers(bytes("Content-Disposition: form-data; filename*=utf-8'ru'\(percentEncoded("файл"));filename=x"))
        #expect(extFirst == MultipartPartHeaders(filename: "файл"))
    }

    @Test func headerParameterDecoding() throws {
        let cases: [(String, MultipartPartHeaders)] = [
            (#"Content-Disposition: form-data; name="f"; filename="C:\Users\me\report.txt""#, .init(name: "f", filename: "report.txt")),
            (#"Content-Disposition: form-data; name="f"; filename="../../etc/passwd""#, .init(name: "f", filename: "passwd")),
            (#"Content-Disposition: form-data; name="a%22b"; filename="say %22hi%22.txt""#, .init(name: "a\"b", filename: "say \"hi\".txt")),
            (#"Content-Disposition: form-data; name="q"; filename="a\"b\\c.txt""#, .init(name: "q", filename: "c.txt")),
            ("content-disposition:FORM-DATA;NAME=x ; FileName=y.txt;\r\ncontent-type:text/plain ", .init(name: "x", filename: "y.txt", contentType: "text/plain")),
            ("Content-Disposition: form-data; filename*=iso-8859-1''caf%E9.txt", .init(filename: "café.txt")),
            ("Content-Disposition: form-data; filename*=koi8-r''%C1; filename=\"fallback.txt\"", .init(filename: "fallback.txt")),
            ("X-Other: 1\r\nContent-Disposition: form-data; name=\"\"; filename=\"\"", .init(name: "", filename: "")),
        ]
        for (block, expected) in cases { #expect(try headers(bytes(block)) == expected, "\(block)") }
        let latin1 = bytes("Content-Disposition: form-data; filename=\"caf") + [0xE9] + bytes(".txt\"")
        #expect(try headers(latin1).filename == "café.txt")
        let invalid = [
            "Content-Disposition: attachment; name=\"x\"", "Content-Type: text/plain", "Content-Disposition: form-data; name=a; name=b",
            "Content-Disposition: form-data; filename*=UTF-8''%ZZ", "Content-Disposition: form-data; name=\"open",
            "Content-Disposition: form-data; name=a b", "Content-Disposition: form-data;\r\n name=\"folded\"",
            "Bad Name: x\r\nContent-Disposition: form-data", "NoColon\r\nContent-Disposition: form-data",
            "Content-Disposition: form-data\r\nContent-Disposition: form-data", "Content-Disposition: form-data; filename*=UTF-8''%FF",
        ]
        for block in invalid {
            #expect(throws: MultipartError.self, "\(block)") { try headers(bytes(block)) }
        }
    }

    @Test func emptyPartsAndClosingForms() throws {
        let input = makeBody([(fileHeaders("file", ""), []), (fieldHeaders("empty"), [])])
        #expect(try feed(input).events == [
            .partBegin(.init(name: "file", filename: "", contentType: "application/octet-stream")), .partEnd,
            .partBegin(.init(name: "empty")), .partEnd, .end,
        ])
        #expect(try feed(bytes("--\(boundary)--")).events == [.end])
        #expect(try feed(bytes("preamble\r\n--\(boundary)--\r\n")).events == [.end])
        let padded = bytes("--\(boundary) \t \r\n\(fieldHeaders("a"))\r\n\r\nv\r\n--\(boundary)\t\r\n\(fieldHeaders("b"))\r\n\r\n\r\n--\(boundary)--")
        #expect(try parse(padded).get().map(\.headers.name) == ["a", "b"])
    }

    @Test func bodiesContainingDelimiterLookalikes() throws {
        let parts = trickyContents.enumerated().map { (fieldHeaders("p\($0.offset)"), $0.element) }
        let result = try parse(makeBody(parts)).get()
        #expect(result.map(\.body) == trickyContents)
    }

    @Test func crlfHeavyBinaryContent() throws {
        var random = SplitMix64(state: 7)
        let alphabet: [UInt8] = [13, 10, 45, 13, 10] + bytes(String(boundary.prefix(6)))
        let content = (0..<20_000).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] }
        let input = makeBody([(fileHeaders("f", "crlf.bin"), content), (fieldHeaders("g"), bytes("\r\n\r\n"))])
        #expect(try parse(input).get().map(\.body) == [content, bytes("\r\n\r\n")])
        #expect(try parse(input, cuts: Array(stride(from: 1, to: input.count, by: 7))).get().map(\.body) == [content, bytes("\r\n\r\n")])
    }

    @Test func everySplitPointGivesTheSameParts() throws {
        let input = makeBody(
            [(fileHeaders("f", "a.bin"), trickyContents[1] + trickyContents[5]), (fieldHeaders("t"), bytes("--\(boundary)\r"))],
            preamble: "pre\r\n-\r\n"
        )
        let expected = try parse(input).get()
        #expect(expected.count == 2)
        let byteByByte = try feed(input, cuts: Array(1..<input.count))
        #expect(collect(byteByByte.events) == expected)
        #expect(byteByByte.maxBuffered <= 200)
        for split in 0...input.count { #expect(try parse(input, cuts: [split]).get() == expected, "split at \(split)") }
        for first in stride(from: 1, to: input.count, by: 3) {
            for second in first..<input.count { #expect(try parse(input, cuts: [first, second]).get() == expected) }
        }
    }

    @Test func randomChunkingsOfOneMebibyte() throws {
        var random = SplitMix64(state: 42)
        var big = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &random) }
        for position in stride(from: 1000, to: big.count - 100, by: 65_536) {
            big.replaceSubrange(position..<(position + 30), with: bytes("\r\n--" + boundary.prefix(26)))
        }
        let input = makeBody([(fileHeaders("big", "big.bin"), big), (fieldHeaders("after"), bytes("ok"))])
        for round in 0..<12 {
            var cuts: [Int] = []
            var position = 0
            while true {
                position += round % 3 == 0 ? Int.random(in: 1...512, using: &random) : Int.random(in: 1...200_000, using: &random)
                guard position < input.count else { break }
                cuts.append(position)
            }
            let result = try feed(input, cuts: cuts)
            #expect(collect(result.events)?.map(\.body) == [big, bytes("ok")])
            #expect(result.maxBuffered < 300)
        }
    }

    @Test func hostileInputsThrow() {
        let valid = makeBody([(fieldHeaders("a"), bytes("1")), (fieldHeaders("b"), bytes("2")), (fieldHeaders("c"), bytes("3"))])
        let cases: [(String, [UInt8], MultipartError)] = [
            ("truncated", Array(valid.prefix(valid.count - 20)), .malformed("body ended before the close delimiter")),
            ("empty", [], .malformed("body ended before the close delimiter")),
            ("garbage", bytes("just some garbage\r\n\r\n--nope--"), .malformed("body ended before the close delimiter")),
            ("huge header", makeBody([(fieldHeaders("a") + "\r\nX-Junk: " + String(repeating: "j", count: 20_000), [])]), .headersTooLarge),
            ("no disposition", makeBody([("Content-Type: text/plain", [])]), .malformed("missing Content-Disposition")),
            ("no headers", bytes("--\(boundary)\r\n\r\nbody\r\n--\(boundary)--"), .malformed("missing Content-Disposition")),
            ("LF only", bytes("--\(boundary)\nContent-Disposition: form-data; name=\"a\"\n\nv\n--\(boundary)--\n"), .malformed("unexpected bytes after boundary")),
            ("LF headers", bytes("--\(boundary)\r\nContent-Disposition: form-data; name=\"a\"\n\nv\r\n--\(boundary)--"), .malformed("bare LF in part headers")),
            ("CR in headers", bytes("--\(boundary)\r\nContent-Disposition: form-data\rX\r\n\r\n\r\n--\(boundary)--"), .malformed("CR without LF in part headers")),
            ("NUL in headers", bytes("--\(boundary)\r\nContent-Disposition: form-data\u{0}\r\n\r\n\r\n--\(boundary)--"), .malformed("control character in part headers")),
            ("huge preamble", bytes(String(repeating: "p", count: 70_000) + "\r\n") + valid, .malformed("preamble too large")),
            ("bad close", bytes("--\(boundary)-x"), .malformed("invalid close delimiter")),
            ("boundary suffix", bytes("--\(boundary)x\r\n"), .malformed("unexpected bytes after boundary")),
            ("padding junk", bytes("--\(boundary) x\r\n"), .malformed("unexpected bytes after boundary")),
            ("long padding", bytes("--\(boundary)" + String(repeating: " ", count: 2000) + "\r\n"), .malformed("transport padding too long")),
            ("not form-data", makeBody([("Content-Disposition: attachment; filename=\"x\"", [])]), .malformed("Content-Disposition is not form-data")),
        ]
        for (label, input, expected) in cases {
            #expect(parse(input) == .failure(expected), "\(label)")
            #expect(parse(input, cuts: Array(stride(from: 1, to: input.count, by: 1 + input.count / 300))) == .failure(expected), "\(label) split")
        }
        #expect(parse(valid, maxParts: 2) == .failure(.tooManyParts))
        #expect(parse(valid, maxParts: 3).map(\.count) == .success(3))
        let block = bytes("\(fieldHeaders("a"))\r\n\r\n").count
        #expect(parse(valid, maxHeaderBytes: block).map(\.count) == .success(3))
        #expect(parse(valid, maxHeaderBytes: block - 1) == .failure(.headersTooLarge))
        #expect(parse(bytes(String(repeating: "p", count: 60_000) + "\r\n") + valid).map(\.count) == .success(3))
    }

    @Test func errorsAreStickyAndEpilogueIsIgnored() throws {
        var parser = MultipartParser(boundary: boundary)
        parser.append(ByteBuffer(string: "--\(boundary)\r\nBroken\r\n\r\n"))
        #expect(throws: MultipartError.malformed("header line without colon")) { try parser.next() }
        parser.append(ByteBuffer(string: "--\(boundary)--"))
        #expect(throws: MultipartError.malformed("header line without colon")) { try parser.next() }
        #expect(throws: MultipartError.malformed("header line without colon")) { try parser.finish() }

        var done = MultipartParser(boundary: boundary)
        done.append(ByteBuffer(string: "--\(boundary)--garbage"))
        #expect(try done.next() == .end)
        done.append(ByteBuffer(string: "\r\n--\(boundary)\r\nmore garbage"))
        #expect(try done.next() == nil)
        try done.finish()
        #expect(done.bufferedBytes == 0)

        var invalid = MultipartParser(boundary: String(repeating: "b", count: 71))
        invalid.append(ByteBuffer(string: "--"))
        #expect(throws: MultipartError.malformed("invalid boundary")) { try invalid.next() }
    }

    @Test func boundaryExtraction() {
        let seventy = String(repeating: "b", count: 70)
        let cases: [(String, String?)] = [
            ("multipart/form-data; boundary=----WebKitFormBoundaryABC", "----WebKitFormBoundaryABC"),
            ("Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b'()+_,-./:=?\"", "a b'()+_,-./:=?"),
            ("multipart/form-data;boundary=\(seventy)", seventy),
            ("multipart/form-data; boundary=\(seventy)b", nil), ("multipart/form-data; boundary=\"\(seventy)b\"", nil),
            ("multipart/mixed; boundary=abc", nil), ("text/plain; boundary=abc", nil), ("multipart/form-data", nil),
            ("multipart/form-data; boundary=", nil), ("multipart/form-data; boundary=\"\"", nil),
            ("multipart/form-data; boundary=\"abc \"", nil), ("multipart/form-data; boundary=a; boundary=b", nil),
            ("multipart/form-data; boundary=\"abc", nil), ("multipart/form-data; boundary=ab\u{0}c", nil),
            ("multipart/form-data; boundary=ab*c", nil), ("multipart/form-data; boundary=абв", nil), ("", nil),
        ]
        for (header, expected) in cases { #expect(MultipartBoundary.parse(contentType: header) == expected, "\(header)") }
    }

    @Test func fuzzedMutationsNeverCrash() {
        let base = makeBody([
            (fileHeaders("f", "a.bin"), trickyContents[1] + [0, 13, 10]), (fieldHeaders("g"), bytes("value")), (fileHeaders("h", ""), []),
        ], preamble: "pre\r\n")
        let snippets = [bytes("\r\n"), bytes("\r"), bytes("\n"), bytes("--"), bytes("--" + boundary), bytes("\r\n--" + boundary), bytes("\""), bytes(";"), bytes(" ")]
        var random = SplitMix64(state: 0xC0FFEE)
        var succeeded = 0
        for _ in 0..<5000 {
            var input = base
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let position = Int.random(in: 0...input.count, using: &random)
                let length = Int.random(in: 0...min(16, input.count - position), using: &random)
                switch Int.random(in: 0..<6, using: &random) {
                case 0 where position < input.count: input[position] = UInt8.random(in: 0...255, using: &random)
                case 1: input.removeSubrange(position..<(position + length))
                case 2: input.insert(contentsOf: (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }, at: position)
                case 3: input.insert(contentsOf: snippets[Int.random(in: 0..<snippets.count, using: &random)], at: position)
                case 4: input.removeSubrange(position...)
                default: input.insert(contentsOf: input[position..<(position + length)], at: position)
                }
            }
            let cuts = (0..<Int.random(in: 0...6, using: &random)).map { _ in Int.random(in: 0...input.count, using: &random) }.sorted()
            let limits = (headers: Int.random(in: 20...200, using: &random), parts: Int.random(in: 1...4, using: &random))
            let whole = parse(input, maxHeaderBytes: limits.headers, maxParts: limits.parts)
            #expect(parse(input, cuts: cuts, maxHeaderBytes: limits.headers, maxParts: limits.parts) == whole)
            if case .success(let parts) = whole {
                succeeded += 1
                #expect(!parts.contains { $0.headers.name == "ILL-FORMED EVENTS" })
            }
        }
        #expect(succeeded > 100)
    }
}
