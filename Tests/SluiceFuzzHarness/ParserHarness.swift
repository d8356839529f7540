import Foundation
import NIOCore
import SluiceParsing

/// Feeds arbitrary bytes to the hand-written parsers and checks what must hold whatever the
/// input: no crash, no hang, and the invariants below (a broken one traps, which is what the
/// fuzzer reports). The first byte picks the parser; the rest is its input.
///
/// Run by the libFuzzer executables in `FuzzTesting/` and, over the saved corpus, by the unit tests.
public enum ParserHarness {
    public static func run(_ data: [UInt8]) {
        guard let selector = data.first else { return }
        let input = Array(data.dropFirst())
        let text = String(decoding: input, as: UTF8.self)
        switch selector % 8 {
        case 0: byteRange(text, size: Int64(selector) * 37)
        case 1: sizesAndDurations(text)
        case 2: httpDate(text)
        case 3: contentDisposition(text)
        case 4: uploadMetadata(text)
        case 5: _ = try? MultipartPartHeaders.parse(headerBlock: input)
        case 6: _ = MultipartBoundary.parse(contentType: text)
        default: multipart(input, chunkSize: Int(selector) + 1)
        }
    }

    /// A selection never points outside the file, and a satisfiable one is never empty.
    static func byteRange(_ header: String, size: Int64) {
        switch ByteRange.parse(header, size: size) {
        case .ignored, .unsatisfiable:
            break
        case .single(let range):
            require(0 <= range.first && range.first <= range.last && range.last < size, "range \(range) of \(size)")
        case .multiple(let ranges):
            require(ranges.count > 1 && ranges.count <= ByteRange.maxRangeCount, "\(ranges.count) ranges")
            for range in ranges { require(0 <= range.first && range.first <= range.last && range.last < size, "range \(range)") }
        }
    }

    /// Sizes are never negative; durations never negative.
    static func sizesAndDurations(_ text: String) {
        if let size = ByteSize.parse(text) { require(size >= 0, "size \(size) of \(text)") }
        if let duration = DurationText.parse(text) { require(duration >= .zero, "duration \(duration) of \(text)") }
    }

    /// A date read back from its own format is the same date.
    static func httpDate(_ text: String) {
        guard let date = HTTPDate.parse(text) else { return }
        let formatted = HTTPDate.format(date)
        require(HTTPDate.parse(formatted) == date, "\(text) → \(formatted) does not read back")
    }

    /// Whatever the name, the header is one line of visible ASCII whose `filename*` gives the
    /// name back (an empty one as `file`).
    static func contentDisposition(_ name: String) {
        for kind in [ContentDisposition.Kind.attachment, .inline] {
            let value = ContentDisposition.value(disposition: kind, filename: name)
            require(value.utf8.allSatisfy { (0x20...0x7E).contains($0) }, "not visible ASCII: \(value)")
            let encoded = value.components(separatedBy: "filename*=UTF-8''").last ?? ""
            let expected = name.isEmpty ? "file" : name
            require(encoded.removingPercentEncoding == expected, "filename* of \(name.debugDescription) reads back otherwise")
        }
    }

    /// A header that parses still parses, to the same pairs less one, without any one key.
    static func uploadMetadata(_ header: String) {
        guard let values = try? UploadMetadataHeader.parse(header) else { return }
        require(values.count <= UploadMetadataHeader.maxPairs, "\(values.count) pairs")
        guard let key = values.keys.first else { return }
        let rest = try? UploadMetadataHeader.parse(UploadMetadataHeader.removing(key, from: header))
        require(rest?.count == values.count - 1 && rest?[key] == nil, "removing \(key) from \(header)")
    }

    /// Fed in chunks of any size, a multipart body never yields more body bytes than it holds,
    /// and its events come in order: a part begins, has body, ends; `end` comes last.
    static func multipart(_ input: [UInt8], chunkSize: Int) {
        var parser = MultipartParser(boundary: "fuzz-boundary", maxHeaderBytes: 1024, maxParts: 64)
        var bodyBytes = 0
        var inPart = false
        var ended = false
        func drain() throws(MultipartError) {
            while let event = try parser.next() {
                require(!ended, "an event after end")
                switch event {
                case .partBegin:
                    require(!inPart, "a part began inside a part")
                    inPart = true
                case .body(let bytes):
                    require(inPart, "body outside a part")
                    bodyBytes += bytes.readableBytes
                case .partEnd:
                    require(inPart, "a part ended outside a part")
                    inPart = false
                case .end:
                    require(!inPart, "end inside a part")
                    ended = true
                }
            }
        }
        do {
            for start in stride(from: 0, to: input.count, by: chunkSize) {
                parser.append(ByteBuffer(bytes: input[start..<min(start + chunkSize, input.count)]))
                try drain()
            }
            try parser.finish()
            try drain()
        } catch {
            return
        }
        require(bodyBytes <= input.count, "\(bodyBytes) body bytes out of \(input.count)")
    }

    static func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fatalError("invariant broken: \(message())") }
    }
}
