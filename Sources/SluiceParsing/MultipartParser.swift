import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One step of a parsed `multipart/form-data` body. A well-formed body yields, per part,
/// `.partBegin`, zero or more non-empty `.body` slices, `.partEnd`; and finally one `.end`.
public enum MultipartEvent: Equatable, Sendable {
    case partBegin(MultipartPartHeaders)
    case body(ByteBuffer)
    case partEnd
    case end
}

/// Why a multipart body was rejected. Once thrown, the parser keeps throwing the same error.
public enum MultipartError: Error, Equatable, Sendable {
    case malformed(String)
    case headersTooLarge
    case tooManyParts
}

/// Incremental `multipart/form-data` parser (RFC 2046 / RFC 7578), a pure state machine.
///
/// Feed bytes with `append`, then call `next()` until it returns nil (needs more input). After the
/// input ended call `finish()`. Provided `next()` is drained after every `append`, the parser retains
/// at most the unconsumed part of the last chunk plus a partial header block (≤ `maxHeaderBytes`) or a
/// tail shorter than the delimiter `\r\n--boundary`. Body bytes are returned as slices of the appended
/// buffers (no copying) as soon as they cannot be the start of a delimiter.
public struct MultipartParser {
    /// Bytes allowed before the first boundary.
    public static let maxPreambleBytes = 64 * 1024
    /// Spaces/tabs allowed between a boundary and its CRLF.
    public static let maxPaddingBytes = 1024
    private typealias Syntax = MultipartHeaderSyntax

    private enum State {
        /// Before the first boundary; `atStart` while `--boundary` may still begin at offset 0.
        case preamble(atStart: Bool)
        /// Right after `--boundary`: expecting `--` (close delimiter) or padding + CRLF.
        case boundaryLine(padding: Int)
        /// Inside a header block; offsets relative to the reader index, already validated.
        case headers(scanned: Int, lineStart: Int)
        case body
        case done
        case failed(MultipartError)
    }

    private enum HeaderScan {
        case incomplete(scanned: Int, lineStart: Int)
        /// The block ends (after the empty line's CRLF) at this offset.
        case complete(end: Int)
        case invalid(String)
    }

    /// `\r\n--` + boundary.
    private let delimiter: [UInt8]
    private let maxHeaderBytes: Int
    private let maxParts: Int
    private var buffer = ByteBuffer()
    private var state: State
    private var parts = 0
    private var preambleBytes = 0

    /// An invalid `boundary` (see `MultipartBoundary.isValid`) makes every `next()` throw `.malformed`.
    public init(boundary: String, maxHeaderBytes: Int = 16 * 1024, maxParts: Int = 1000) {
        let boundaryBytes = Array(boundary.utf8)
        self.delimiter = Array("\r\n--".utf8) + boundaryBytes
        self.maxHeaderBytes = max(0, maxHeaderBytes)
        self.maxParts = max(0, maxParts)
        self.state =
            MultipartBoundary.isValid(boundaryBytes)
            ? .preamble(atStart: true) : .failed(.malformed("invalid boundary"))
    }

    /// Bytes currently retained (appended but not yet returned or discarded); for tests and metrics.
    public var bufferedBytes: Int { buffer.readableBytes }

    /// Queues `chunk` for parsing. Ignored after `.end` (epilogue) or after an error.
    public mutating func append(_ chunk: ByteBuffer) {
        switch state {
        case .done, .failed: return
        default: break
        }
        guard chunk.readableBytes > 0 else { return }
        if buffer.readableBytes == 0 {
            buffer = chunk
        } else if buffer.readableBytes < chunk.readableBytes {
            // Copy the short retained tail and the chunk into an exactly sized buffer: O(chunk).
            var merged = ByteBufferAllocator().buffer(capacity: buffer.readableBytes + chunk.readableBytes)
            merged.writeImmutableBuffer(buffer)
            merged.writeImmutableBuffer(chunk)
            buffer = merged
        } else {
            // Growing partial header block: append in place (amortised, no quadratic copying).
            buffer.discardReadBytes()
            buffer.writeImmutableBuffer(chunk)
        }
    }

    /// Returns the next event, or nil if more input is needed (or after `.end`).
    public mutating func next() throws(MultipartError) -> MultipartEvent? {
        do throws(MultipartError) {
            return try step()
        } catch {
            fail(error)
            throw error
        }
    }

    /// Input ended: throws `.malformed` unless `.end` (close delimiter) was already produced.
    public mutating func finish() throws(MultipartError) {
        switch state {
        case .done:
            return
        case .failed(let error):
            throw error
        default:
            let error = MultipartError.malformed("body ended before the close delimiter")
            fail(error)
            throw error
        }
    }

    private mutating func fail(_ error: MultipartError) {
        state = .failed(error)
        buffer = ByteBuffer()
    }

    private mutating func step() throws(MultipartError) -> MultipartEvent? {
        while true {
            switch state {
            case .failed(let error): throw error
            case .done: return nil
            case .preamble(let atStart):
                if atStart {
                    let dashBoundary = delimiter[2...]
                    let view = buffer.readableBytesView
                    let count = min(view.count, dashBoundary.count)
                    if view.prefix(count).elementsEqual(dashBoundary.prefix(count)) {
                        guard count == dashBoundary.count else { return nil }
                        buffer.moveReaderIndex(forwardBy: count)
                        state = .boundaryLine(padding: 0)
                        continue
                    }
                    state = .preamble(atStart: false)
                }
                let found = searchDelimiter()
                preambleBytes += found.offset
                guard preambleBytes <= Self.maxPreambleBytes else { throw .malformed("preamble too large") }
                buffer.moveReaderIndex(forwardBy: found.offset)
                guard found.complete else { return nil }
                buffer.moveReaderIndex(forwardBy: delimiter.count)
                state = .boundaryLine(padding: 0)
            case .boundaryLine(let padding):
                switch try stepBoundaryLine(padding: padding) {
                case .event(let event): return event
                case .needMore: return nil
                case .advanced: continue
                }
            case .headers(let scanned, let lineStart):
                let scan = buffer.withUnsafeReadableBytes {
                    Self.scanHeaders($0, from: scanned, lineStart: lineStart, limit: maxHeaderBytes)
                }
                switch scan {
                case .invalid(let reason):
                    throw .malformed(reason)
                case .incomplete(let scanned, let lineStart):
                    guard scanned < maxHeaderBytes else { throw .headersTooLarge }
                    state = .headers(scanned: scanned, lineStart: lineStart)
                    return nil
                case .complete(let end):
                    guard end <= maxHeaderBytes else { throw .headersTooLarge }
                    let block = buffer.readBytes(length: end).map { Array($0.dropLast(2)) } ?? []
                    let headers = try MultipartPartHeaders.parse(headerBlock: block)
                    state = .body
                    return .partBegin(headers)
                }
            case .body:
                let found = searchDelimiter()
                if found.offset > 0, let slice = buffer.readSlice(length: found.offset) {
                    return .body(slice)
                }
                guard found.complete else { return nil }
                buffer.moveReaderIndex(forwardBy: delimiter.count)
                state = .boundaryLine(padding: 0)
                return .partEnd
            }
        }
    }

    private enum Progress {
        case event(MultipartEvent)
        case needMore
        case advanced
    }

    /// Handles the bytes after `--boundary`: `--` ends the body; spaces/tabs are skipped; CRLF starts
    /// the next part's headers (counting it against `maxParts`); anything else is malformed.
    private mutating func stepBoundaryLine(padding: Int) throws(MultipartError) -> Progress {
        let view = buffer.readableBytesView
        guard let first = view.first else { return .needMore }
        if first == UInt8(ascii: "-"), padding == 0 {
            guard view.count >= 2 else { return .needMore }
            guard view.dropFirst().first == UInt8(ascii: "-") else { throw .malformed("invalid close delimiter") }
            state = .done
            buffer = ByteBuffer()
            return .event(.end)
        }
        if first == Syntax.space || first == Syntax.tab {
            let run = view.prefix(Self.maxPaddingBytes + 1).prefix { $0 == Syntax.space || $0 == Syntax.tab }
            guard padding + run.count <= Self.maxPaddingBytes else { throw .malformed("transport padding too long") }
            buffer.moveReaderIndex(forwardBy: run.count)
            state = .boundaryLine(padding: padding + run.count)
            return .advanced
        }
        guard first == Syntax.cr else { throw .malformed("unexpected bytes after boundary") }
        guard view.count >= 2 else { return .needMore }
        guard view.dropFirst().first == Syntax.lf else { throw .malformed("boundary line not ended by CRLF") }
        guard parts < maxParts else { throw .tooManyParts }
        parts += 1
        buffer.moveReaderIndex(forwardBy: 2)
        state = .headers(scanned: 0, lineStart: 0)
        return .advanced
    }

    /// Validates header bytes from `start` on: CR only in CRLF, no bare LF, no control bytes other
    /// than HTAB. Scans at most `limit` bytes; reports the end of the block at the first empty line.
    private static func scanHeaders(
        _ bytes: UnsafeRawBufferPointer, from start: Int, lineStart: Int, limit: Int
    ) -> HeaderScan {
        var index = start
        var lineStart = lineStart
        let end = min(bytes.count, limit)
        while index < end {
            let byte = bytes[index]
            if byte == Syntax.cr {
                guard index + 1 < bytes.count else { break }
                guard bytes[index + 1] == Syntax.lf else { return .invalid("CR without LF in part headers") }
                if index == lineStart { return .complete(end: index + 2) }
                index += 2
                lineStart = index
            } else if byte == Syntax.lf {
                return .invalid("bare LF in part headers")
            } else if (byte < 0x20 && byte != Syntax.tab) || byte == 0x7F {
                return .invalid("control character in part headers")
            } else {
                index += 1
            }
        }
        return .incomplete(scanned: index, lineStart: lineStart)
    }

    /// Finds the first delimiter in the readable bytes. `offset` is where it starts if `complete`;
    /// otherwise it is the number of bytes that cannot begin a delimiter (a shorter tail may).
    private func searchDelimiter() -> (offset: Int, complete: Bool) {
        buffer.withUnsafeReadableBytes { haystack in
            delimiter.withUnsafeBytes { needle in Self.find(needle, in: haystack) }
        }
    }

    /// Candidates are bytes equal to the needle's first byte (CR), found with a short inline scan, then
    /// memchr; each is compared inline on its first 4 bytes, then with memcmp. Linear even for hostile
    /// data: the rest of the needle has no CR, so one candidate's comparison never overlaps the next one.
    public static func find(
        _ needle: UnsafeRawBufferPointer, in haystack: UnsafeRawBufferPointer
    ) -> (offset: Int, complete: Bool) {
        let count = haystack.count
        guard count > 0, let base = haystack.baseAddress, let needleBase = needle.baseAddress, let first = needle.first
        else { return (count, false) }
        var offset = 0
        while true {
            let inlineEnd = min(count, offset + 2)  // dense candidates: avoid a memchr call per byte
            while offset < inlineEnd, haystack[offset] != first { offset += 1 }
            if offset == inlineEnd {
                guard offset < count, let hit = memchr(base + offset, Int32(first), count - offset) else { break }
                offset = base.distance(to: UnsafeRawPointer(hit))
            }
            let length = min(count - offset, needle.count)
            let inlineLength = min(length, 4)
            var matched = 1
            while matched < inlineLength, haystack[offset + matched] == needle[matched] { matched += 1 }
            if matched == inlineLength, memcmp(base + offset + matched, needleBase + matched, length - matched) == 0 {
                return (offset, length == needle.count)
            }
            offset += 1
        }
        return (count, false)
    }
}
