import Foundation
import HTTPTypes
import SluiceCore
import SluiceParsing

/// The answer to a `GET` or `HEAD` of a file's bytes as far as its record and the request's
/// headers decide it, before storage or the database is asked. ``DownloadRoutes`` and
/// ``ImmediateDownloadHandler`` both answer from it, so their answers are the same.
enum DownloadAnswer {
    /// `304 Not Modified` with the headers that describe the file.
    case notModified(HTTPFields)
    /// `416 Range Not Satisfiable`.
    case unsatisfiable
    /// `status` with `headers` and bytes `range` of the file (`nil` for an empty file).
    /// `takesSlot` when one of the file's download slots must be taken first: a whole `GET` of
    /// a file with a download limit.
    case bytes(HTTPResponse.Status, HTTPFields, range: ClosedRange<Int64>?, takesSlot: Bool)

    /// Decides for `record`, described by `description` (made from it when `nil`); `inline` is
    /// the request's `?inline=1`.
    init(
        record: FileRecord, description: Description? = nil, method: HTTPRequest.Method, headers requestHeaders: HTTPFields,
        inline: Bool
    ) {
        let description = description ?? Description(record)
        var headers = description.headers
        switch DownloadDecision.decide(
            method: method, headers: requestHeaders, size: record.size, etag: description.etag,
            lastModified: description.lastModified)
        {
        case .notModified:
            self = .notModified(headers)
        case .unsatisfiable:
            self = .unsatisfiable
        case .partial(let range):
            headers.append(contentsOf: description.representation(inline: inline))
            headers[.contentRange] = "bytes \(range.first)-\(range.last)/\(record.size)"
            self = .bytes(.partialContent, headers, range: range.first...range.last, takesSlot: false)
        case .full:
            headers.append(contentsOf: description.representation(inline: inline))
            let range = record.size > 0 ? 0...(record.size - 1) : nil
            self = .bytes(.ok, headers, range: range, takesSlot: method == .get && record.maxDownloads != nil)
        }
    }

    /// The headers that describe a file whatever the request; made once for answers that repeat.
    struct Description: Sendable {
        let etag: String
        let lastModified: Date
        /// `ETag`, `Last-Modified`, `Accept-Ranges`, `Repr-Digest`, `Cache-Control`.
        let headers: HTTPFields
        /// What a body of the file adds, as an attachment (see ``representation(inline:)``).
        private let attachment: HTTPFields
        private let record: FileRecord

        init(_ record: FileRecord) {
            let sha256 = record.sha256 ?? ""
            etag = FileHeaders.etag(sha256: sha256)
            lastModified = record.completedAt ?? record.createdAt
            var headers = HTTPFields()
            headers[.eTag] = etag
            headers[.lastModified] = HTTPDate.format(lastModified)
            headers[.acceptRanges] = "bytes"
            headers[FileHeaders.reprDigest] = FileHeaders.reprDigest(sha256: sha256)
            headers[.cacheControl] = "private, no-transform"
            self.headers = headers
            attachment = Self.representation(record, disposition: .attachment)
            self.record = record
        }

        /// What a body of the file adds: `Content-Type`, `Content-Disposition`,
        /// `X-Content-Type-Options` and, for a document that could run script, a sandbox.
        func representation(inline: Bool) -> HTTPFields {
            inline ? Self.representation(record, disposition: .inline) : attachment
        }

        private static func representation(_ record: FileRecord, disposition: ContentDisposition.Kind) -> HTTPFields {
            var headers = HTTPFields()
            headers[.contentType] = record.contentType
            headers[.contentDisposition] = ContentDisposition.value(disposition: disposition, filename: record.name)
            // Uploaded bytes are never trusted as a page of this origin: a document that could
            // run script (HTML, SVG, XML) is sandboxed, without scripts or access to this site's
            // storage.
            headers[.xContentTypeOptions] = "nosniff"
            if scriptableTypes.contains(where: record.contentType.lowercased().hasPrefix) {
                headers[.contentSecurityPolicy] = "sandbox"
            }
            return headers
        }
    }

    /// Media types a browser may run script in.
    static let scriptableTypes = ["text/html", "application/xhtml", "image/svg", "text/xml", "application/xml"]
}
