import NIOCore
import Testing

@testable import SluiceParsing

/// One part as reassembled from parser events (`open` until its `.partEnd`).
private struct Part: Equatable {
    var headers: MultipartPartHeaders
    var body: [UInt8]
    var open = false
}

/// Deterministic xorshift64 generator (seed must be non-zero) so failures reproduce.
private struct XorShift: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
}

private let boundary = "----WebKitFormBoundaryX3bY6PBMcxB1vCan"
private let closing = "\r\n--\(boundary)--"
private let endError = MultipartError.malformed("body ended before the close delimiter")

private func bytes(_ text: some StringProtocol) -> [UInt8] { Array(text.utf8) }

/// Builds a body from parts given as (header lines without the final CRLF, content).
private func makeBody(_ parts: [(String, [UInt8])], preamble: String = "") -> [UInt8] {
    var out = bytes(preamble)
    for (headers, content) in parts { out += bytes("--\(boundary)\r\n\(headers)\r\n\r\n") + content + bytes("\r\n") }
    return out + bytes("--\(boundary)--\r\nepilogue")
}

private func file(_ name: String, _ filename: String, _ type: String = "application/octet-stream") -> String {
    "Content-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(type)"
}

private func field(_ name: String) -> String { "Content-Disposition: form-data; name=\"\(name)\"" }

/// Feeds `input` split at the sorted offsets `cuts`, draining `next()` after every append, then finishes.
/// Returns the events and the largest number of bytes the parser retained after a drain.
private func feed(
    _ input: [UInt8], cuts: [Int] = [], maxHeaderBytes: Int = 16 * 1024, maxParts: Int = 1000
) throws(MultipartError) -> (events: [MultipartEvent], maxBuffered: Int) {
    var parser = MultipartParser(boundary: boundary, maxHeaderBytes: maxHeaderBytes, maxParts: maxParts)
    var events: [MultipartEvent] = []
    var (maxBuffered, start) = (0, 0)
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
    for event in events {
        switch (event, parts.last?.open ?? false) {
        case (.partBegin(let headers), false): parts.append(Part(headers: headers, body: [], open: true))
        case (.body(let chunk), true) where chunk.readableBytes > 0: parts[parts.count - 1].body += Array(buffer: chunk)
        case (.partEnd, true): parts[parts.count - 1].open = false
        case (.end, false): continue
        default: return nil
        }
    }
    return events.firstIndex(of: .end) == events.count - 1 ? parts : nil
}

/// Parses and reassembles; an ill-formed event sequence becomes a single part named "ILL-FORMED".
private func parse(
    _ input: [UInt8], cuts: [Int] = [], maxHeaderBytes: Int = 16 * 1024, maxParts: Int = 1000
) -> Result<[Part], MultipartError> {
    do throws(MultipartError) {
        let events = try feed(input, cuts: cuts, maxHeaderBytes: maxHeaderBytes, maxParts: maxParts).events
        return .success(collect(events) ?? [Part(headers: MultipartPartHeaders(name: "ILL-FORMED"), body: [])])
    } catch { return .failure(error) }
}

private func headers(_ block: String) throws(MultipartError) -> MultipartPartHeaders {
    try MultipartPartHeaders.parse(headerBlock: bytes(block + "\r\n"))
}

/// Part contents that look like, but are not, delimiters.
private let trickyContents: [[UInt8]] = [
    bytes("a\r\n--"), bytes("\r\n--" + boundary.dropLast()), bytes("--" + boundary + "--"),
    bytes("x--\(boundary)\r\ny"), bytes("--boundar\r"), bytes("\r\r\n\r\n-\r\n--\r\n--" + boundary.prefix(9)),
    bytes("\r"), [13, 10, 13, 10, 0, 13],
]

@Suite("MultipartParser")
struct MultipartParserTests {
    @Test func browserLikeBodyWithTwoFilesAndAField() throws {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + (0...255).map { UInt8($0) }
        let text = bytes("line one\r\nline two\r\n")
        let input = makeBody(
            [(file("files", "photo.png", "image/png"), png), (file("files", "notes.txt", "text/plain"), text),
             (field("description"), bytes("Holiday pictures"))], preamble: "This is the preamble.\r\n")
        #expect(try parse(input).get() == [
            Part(headers: .init(name: "files", filename: "photo.png", contentType: "image/png"), body: png),
            Part(headers: .init(name: "files", filename: "notes.txt", contentType: "text/plain"), body: text),
            Part(headers: .init(name: "description"), body: bytes("Holiday pictures")),
        ])
    }

    @Test func cyrillicFilenames() throws {
        let raw = makeBody([(file("f", "Отчёт за 2024.pdf"), bytes("%PDF"))])
        #expect(try parse(raw).get().first?.headers.filename == "Отчёт за 2024.pdf")
        let ext = "\(field("f")); filename=\"otchet.pdf\"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.pdf"
        #expect(try parse(makeBody([(ext, bytes("%PDF"))])).get().first?.headers.filename == "отчёт.pdf")
        let extFirst = "Content-Disposition: form-data; filename*=utf-8'ru'%D1%84%D0%B0%D0%B9%D0%BB;filename=x"
        #expect(try headers(extFirst) == MultipartPartHeaders(filename: "файл"))
    }

    @Test func headerParameterDecoding() throws {
        let cd = "Content-Disposition: form-data;"
        let cases: [(String, MultipartPartHeaders)] = [
            (#"\#(cd) name="f"; filename="C:\Users\me\report.txt""#, .init(name: "f", filename: #"C:\Users\me\report.txt"#)),
            (#"\#(cd) name="f"; filename="../../etc/passwd""#, .init(name: "f", filename: "../../etc/passwd")),
            (#"\#(cd) name="a%22b"; filename="say %22hi%22.txt""#, .init(name: "a\"b", filename: "say \"hi\".txt")),
            (#"\#(cd) name="q"; filename="a\"b\\c.txt""#, .init(name: "q", filename: #"a"b\c.txt"#)),
            ("content-disposition:FORM-DATA;NAME=x ; FileName=y.txt;\r\ncontent-type:text/plain ",
             .init(name: "x", filename: "y.txt", contentType: "text/plain")),
            ("\(cd) filename*=iso-8859-1''caf%E9.txt", .init(filename: "café.txt")),
            ("\(cd) filename*=koi8-r''%C1; filename=\"fallback.txt\"", .init(filename: "fallback.txt")),
            ("X-Other: 1\r\n\(cd) name=\"\"; filename=\"\"", .init(name: "", filename: "")),
        ]
        for (block, expected) in cases { #expect(try headers(block) == expected, "\(block)") }
        let latin1 = bytes("\(cd) filename=\"caf") + [0xE9] + bytes(".txt\"\r\n")
        #expect(try MultipartPartHeaders.parse(headerBlock: latin1).filename == "café.txt")
        let invalid = [
            "Content-Disposition: attachment; name=\"x\"", "Content-Type: text/plain", "\(cd) name=a; name=b",
            "\(cd) filename*=UTF-8''%ZZ", "\(cd) filename*=UTF-8''%FF", "\(cd) filename*=UTF-8''a%00", "\(cd) name=a b",
            "\(cd) filename*=nocharset", "\(cd) name=\"open", "\(cd)\r\n name=\"folded\"", "Bad Name: x\r\n\(cd)",
            "NoColon\r\n\(cd)", "\(cd)\r\n\(cd)", "\(cd) name=x\r\nContent-Type: a\r\nContent-Type: b",
        ]
        for block in invalid { #expect(throws: MultipartError.self, "\(block)") { try headers(block) } }
    }

    @Test func emptyPartsPaddingAndClosingForms() throws {
        let input = makeBody([(file("file", ""), []), (field("empty"), [])])
        #expect(try feed(input).events == [
            .partBegin(.init(name: "file", filename: "", contentType: "application/octet-stream")), .partEnd,
            .partBegin(.init(name: "empty")), .partEnd, .end,
        ])
        #expect(try feed(bytes("--\(boundary)--")).events == [.end])
        #expect(try feed(bytes("preamble\r\n--\(boundary)--\r\n")).events == [.end])
        let padded = "--\(boundary) \t \r\n\(field("a"))\r\n\r\nv\r\n--\(boundary)\t\r\n\(field("b"))\r\n\r\n\(closing)"
        #expect(try parse(bytes(padded)).get().map(\.headers.name) == ["a", "b"])
    }

    @Test func delimiterLookalikesAndCRLFHeavyContent() throws {
        let lookalikes = makeBody(trickyContents.enumerated().map { (field("p\($0.offset)"), $0.element) })
        #expect(try parse(lookalikes).get().map(\.body) == trickyContents)
        var random = XorShift(state: 7)
        let alphabet: [UInt8] = [13, 10, 45, 13, 10] + bytes(boundary.prefix(6))
        let content = (0..<20_000).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] }
        let input = makeBody([(file("f", "crlf.bin"), content), (field("g"), bytes("\r\n\r\n"))])
        for cuts in [[], Array(stride(from: 1, to: input.count, by: 7))] {
            #expect(try parse(input, cuts: cuts).get().map(\.body) == [content, bytes("\r\n\r\n")])
        }
    }

    @Test func everySplitPointGivesTheSameParts() throws {
        let parts = [(file("f", "a.bin"), trickyContents[1] + trickyContents[5]), (field("t"), trickyContents[3])]
        let input = makeBody(parts, preamble: "pre\r\n-\r\n")
        let expected = try parse(input).get()
        #expect(expected.map(\.body) == parts.map(\.1))
        let byteByByte = try feed(input, cuts: Array(1..<input.count))
        #expect(collect(byteByByte.events) == expected)
        #expect(byteByByte.maxBuffered <= 200)
        for split in 0...input.count { #expect(try parse(input, cuts: [split]).get() == expected, "split \(split)") }
        for first in stride(from: 1, to: input.count, by: 3) {
            for second in first..<input.count { #expect(try parse(input, cuts: [first, second]).get() == expected) }
        }
    }

    @Test func randomChunkingsOfOneMebibyte() throws {
        var random = XorShift(state: 42)
        var big = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &random) }
        let near = bytes("\r\n--" + boundary.prefix(26))
        for at in stride(from: 1000, to: big.count - 99, by: 65_536) { big.replaceSubrange(at..<at + 30, with: near) }
        let input = makeBody([(file("big", "big.bin"), big), (field("after"), bytes("ok"))])
        for round in 0..<12 {
            var cuts: [Int] = []
            while (cuts.last ?? 0) < input.count {
                cuts.append((cuts.last ?? 0) + Int.random(in: 1...(round % 3 == 0 ? 512 : 200_000), using: &random))
            }
            let result = try feed(input, cuts: cuts.dropLast())
            #expect(collect(result.events)?.map(\.body) == [big, bytes("ok")])
            #expect(result.maxBuffered < 300)
        }
    }

    @Test func hostileInputsThrow() {
        let valid = makeBody([(field("a"), bytes("1")), (field("b"), bytes("2")), (field("c"), bytes("3"))])
        func part(_ text: String) -> [UInt8] { bytes("--\(boundary)\r\n\(text)\(closing)") }
        let bad = MultipartError.malformed
        let cases: [([UInt8], MultipartError)] = [
            (Array(valid.prefix(valid.count - 20)), endError), ([], endError), (bytes("junk\r\n\r\n--x--"), endError),
            (makeBody([(field("a") + "\r\nX: " + String(repeating: "j", count: 20_000), [])]), .headersTooLarge),
            (part("Content-Type: a\r\n\r\n"), bad("missing Content-Disposition")),
            (part("\r\nbody"), bad("missing Content-Disposition")),
            (bytes("--\(boundary)\n\(field("a"))\n\nv\n--\(boundary)--\n"), bad("unexpected bytes after boundary")),
            (part("\(field("a"))\n\nv"), bad("bare LF in part headers")),
            (part("\(field("a"))\rX\r\n\r\n"), bad("CR without LF in part headers")),
            (part("\(field("a"))\u{0}\r\n\r\n"), bad("control character in part headers")),
            (part("\(field("a"))\r\n\tx\r\n\r\n"), bad("obsolete header line folding")),
            (part("Content-Disposition: attachment\r\n\r\n"), bad("Content-Disposition is not form-data")),
            (bytes(String(repeating: "p", count: 70_000) + "\r\n") + valid, bad("preamble too large")),
            (bytes("--\(boundary)-x"), bad("invalid close delimiter")),
            (bytes("--\(boundary)x\r\n"), bad("unexpected bytes after boundary")),
            (bytes("--\(boundary) x\r\n"), bad("unexpected bytes after boundary")),
            (bytes("--\(boundary)" + String(repeating: " ", count: 2000) + "\r\n"), bad("transport padding too long")),
        ]
        for (index, (input, expected)) in cases.enumerated() {
            #expect(parse(input) == .failure(expected), "case \(index)")
            let cuts = Array(stride(from: 1, to: input.count, by: 1 + input.count / 300))
            #expect(parse(input, cuts: cuts) == .failure(expected), "case \(index) split")
        }
        #expect(parse(valid, maxParts: 2) == .failure(.tooManyParts))
        #expect(parse(valid, maxParts: 3).map(\.count) == .success(3))
        let block = bytes("\(field("a"))\r\n\r\n").count
        #expect(parse(valid, maxHeaderBytes: block).map(\.count) == .success(3))
        #expect(parse(valid, maxHeaderBytes: block - 1) == .failure(.headersTooLarge))
        #expect(parse(bytes(String(repeating: "p", count: 60_000) + "\r\n") + valid).map(\.count) == .success(3))
    }

    @Test func errorsAreStickyAndEpilogueIsIgnored() throws {
        var parser = MultipartParser(boundary: boundary)
        let error = MultipartError.malformed("header line without colon")
        for chunk in ["--\(boundary)\r\nBroken\r\n\r\n", "--\(boundary)--"] {
            parser.append(ByteBuffer(string: chunk))
            #expect(throws: error) { try parser.next() }
        }
        #expect(throws: error) { try parser.finish() }
        var done = MultipartParser(boundary: boundary)
        done.append(ByteBuffer(string: "--\(boundary)--garbage"))
        #expect(try done.next() == .end)
        done.append(ByteBuffer(string: "\r\n--\(boundary)\r\nmore garbage"))
        #expect(try done.next() == nil)
        try done.finish()
        #expect(done.bufferedBytes == 0)
        var invalid = MultipartParser(boundary: String(repeating: "b", count: 71))
        #expect(throws: MultipartError.malformed("invalid boundary")) { try invalid.next() }
    }

    @Test func boundaryExtraction() {
        let seventy = String(repeating: "b", count: 70)
        let type = "multipart/form-data"
        let accepted = [
            ("\(type); boundary=----WebKitFormBoundaryA", "----WebKitFormBoundaryA"),
            ("\(type);boundary=\(seventy)", seventy),
            ("Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b'()+_,-./:=?\"", "a b'()+_,-./:=?"),
        ]
        for (header, expected) in accepted { #expect(MultipartBoundary.parse(contentType: header) == expected) }
        let rejected = [
            "\(seventy)b", "\"\(seventy)b\"", "", "\"\"", "\"abc \"", "a;boundary=b", "\"a", "a\u{0}c", "a*c", "абв",
        ].map { "\(type); boundary=\($0)" } + ["multipart/mixed; boundary=abc", "text/plain; boundary=abc", type, ""]
        for header in rejected { #expect(MultipartBoundary.parse(contentType: header) == nil, "\(header)") }
    }

    @Test func fuzzedMutationsNeverCrash() {
        let base = makeBody(
            [(file("f", "a.bin"), trickyContents[1] + [0, 13, 10]), (field("g"), bytes("value")), (file("h", ""), [])],
            preamble: "pre\r\n")
        let snippets = ["\r\n", "\r", "\n", "--", "--" + boundary, "\r\n--" + boundary, "\"", ";", " "].map(bytes)
        var random = XorShift(state: 0xC0FFEE)
        var succeeded = 0
        for _ in 0..<5000 {
            var input = base
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let position = Int.random(in: 0...input.count, using: &random)
                let length = Int.random(in: 0...min(16, input.count - position), using: &random)
                let noise = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                switch Int.random(in: 0..<6, using: &random) {
                case 0 where position < input.count: input[position] = noise.first ?? 0
                case 1: input.removeSubrange(position..<(position + length))
                case 2: input.insert(contentsOf: noise, at: position)
                case 3: input.insert(contentsOf: snippets[length % snippets.count], at: position)
                case 4: input.removeSubrange(position...)
                default: input.insert(contentsOf: input[position..<(position + length)], at: position)
                }
            }
            let cuts = (0..<(input.count % 7)).map { _ in Int.random(in: 0...input.count, using: &random) }.sorted()
            let (headers, parts) = (Int.random(in: 20...200, using: &random), Int.random(in: 1...4, using: &random))
            let whole = parse(input, maxHeaderBytes: headers, maxParts: parts)
            #expect(parse(input, cuts: cuts, maxHeaderBytes: headers, maxParts: parts) == whole)
            let wellFormed = (try? whole.get()).map { !$0.contains { $0.headers.name == "ILL-FORMED" } }
            #expect(wellFormed != false)
            succeeded += wellFormed == true ? 1 : 0
        }
        #expect(succeeded > 100)
    }
}
