import Foundation
import HTTPTypes
import SluiceParsing

/// What to answer to a download request for a representation with a known size, entity tag and
/// modification date, after evaluating the conditional and range headers (RFC 9110 §13.2.2).
///
/// Only GET and HEAD are evaluated (HEAD exactly like GET, so its headers mirror GET's); every
/// other method gets ``full``. Precedence: `If-None-Match` (weak comparison, `*` matches) →
/// ``notModified``; otherwise, only when `If-None-Match` is absent, `If-Modified-Since` with a
/// valid HTTP-date not earlier than `lastModified` (truncated to whole seconds) →
/// ``notModified``. Then, when `Range` is present: a present `If-Range` must hold (a strong
/// entity tag identical to a strong `etag`, or an HTTP-date equal to `lastModified` truncated to
/// seconds) or the answer is ``full``; finally the `Range` value is evaluated by
/// ``ByteRange/parse(_:size:)``, where ignored headers and multi-range requests become ``full``.
enum DownloadDecision: Equatable, Sendable {
    /// 304 Not Modified.
    case notModified
    /// 200 with the whole representation.
    case full
    /// 206 with exactly this range.
    case partial(ByteRange)
    /// 416 Range Not Satisfiable (send `Content-Range: bytes */size`).
    case unsatisfiable

    /// Decides the response. `etag` includes its quotes (`"abc"`, or `W/"abc"` for a weak tag).
    static func decide(
        method: HTTPRequest.Method,
        headers: HTTPFields,
        size: Int64,
        etag: String,
        lastModified: Date
    ) -> DownloadDecision {
        guard method == .get || method == .head else { return .full }
        let modifiedSeconds = lastModified.timeIntervalSince1970.rounded(.down)

        if let ifNoneMatch = headers[.ifNoneMatch] {
            if listMatchesWeakly(ifNoneMatch, etag: etag) { return .notModified }
        } else if let ifModifiedSince = headers[.ifModifiedSince],
                  let date = HTTPDate.parse(ifModifiedSince),
                  modifiedSeconds <= date.timeIntervalSince1970 {
            return .notModified
        }

        guard let range = headers[.range] else { return .full }
        if let ifRange = headers[.ifRange],
           !ifRangeHolds(ifRange, etag: etag, modifiedSeconds: modifiedSeconds) {
            return .full
        }
        switch ByteRange.parse(range, size: size) {
        case .ignored, .multiple:
            return .full
        case let .single(byteRange):
            return .partial(byteRange)
        case .unsatisfiable:
            return .unsatisfiable
        }
    }

    /// RFC 9110 §13.1.5: a strong validator that matches exactly. Weak tags never match.
    private static func ifRangeHolds(_ value: String, etag: String, modifiedSeconds: Double) -> Bool {
        let value = trimmingOWS(value)
        if value.hasPrefix("W/") { return false }
        if value.hasPrefix("\"") { return !etag.hasPrefix("W/") && value == etag }
        guard let date = HTTPDate.parse(value) else { return false }
        return date.timeIntervalSince1970 == modifiedSeconds
    }

    /// RFC 9110 §13.1.2 weak comparison of `etag` against an `If-None-Match` list (`*` or
    /// `#entity-tag`, members separated by commas with optional whitespace). Parsing stops at
    /// the first malformed member; members before it still count.
    private static func listMatchesWeakly(_ list: String, etag: String) -> Bool {
        let own = opaqueTag(etag)
        let bytes = Array(list.utf8)
        var index = 0
        var expectingMember = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                index += 1
                continue
            }
            if byte == UInt8(ascii: ",") {
                expectingMember = true
                index += 1
                continue
            }
            guard expectingMember else { return false }
            expectingMember = false
            if byte == UInt8(ascii: "*") { return true }
            if byte == UInt8(ascii: "W"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "/") {
                index += 2
            }
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return false }
            let open = index
            index += 1
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") { index += 1 }
            guard index < bytes.count else { return false }
            if let own, bytes[open...index].elementsEqual(own) { return true }
            index += 1
        }
        return false
    }

    /// The quoted opaque-tag of an entity tag (quotes included), without any `W/` prefix.
    private static func opaqueTag(_ etag: String) -> [UInt8]? {
        var bytes = Array(etag.utf8)[...]
        if bytes.starts(with: "W/".utf8) { bytes = bytes.dropFirst(2) }
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") else {
            return nil
        }
        return Array(bytes)
    }

    /// `value` without leading and trailing spaces and horizontal tabs (HTTP OWS).
    private static func trimmingOWS(_ value: String) -> String {
        var view = Substring(value)
        while let c = view.first, c == " " || c == "\t" { view.removeFirst() }
        while let c = view.last, c == " " || c == "\t" { view.removeLast() }
        return String(view)
    }
}
