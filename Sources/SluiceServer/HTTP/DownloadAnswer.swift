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

    /// Decides for `record`; `inline` is the request's `?inline=1`.
    init(record: FileRecord, method: HTTPRequest.Method, headers requestHeaders: HTTPFields, inline: Bool) {
        let sha256 = record.sha256 ?? ""
        let etag = FileHeaders.etag(sha256: sha256)
        let lastModified = record.completedAt ?? record.createdAt
        var headers = HTTPFields()
        headers[.eTag] = etag
        headers[.lastModified] = HTTPDate.format(lastModified)
        headers[.acceptRanges] = "bytes"
        headers[FileHeaders.reprDigest] = FileHeaders.reprDigest(sha256: sha256)
        headers[.cacheControl] = "private, no-transform"

        switch DownloadDecision.decide(
            method: method, headers: requestHeaders, size: record.size, etag: etag, lastModified: lastModified)
        {
        case .notModified:
            self = .notModified(headers)
        case .unsatisfiable:
            self = .unsatisfiable
        case .partial(let range):
            Self.addRepresentationHeaders(&headers, record: record, inline: inline)
            headers[.contentRange] = "bytes \(range.first)-\(range.last)/\(record.size)"
            self = .bytes(.partialContent, headers, range: range.first...range.last, takesSlot: false)
        case .full:
            Self.addRepresentationHeaders(&headers, record: record, inline: inline)
            let range = record.size > 0 ? 0...(record.size - 1) : nil
            self = .bytes(.ok, headers, range: range, takesSlot: method == .get && record.maxDownloads != nil)
        }
    }

    private static func addRepresentationHeaders(_ headers: inout HTTPFields, record: FileRecord, inline: Bool) {
        headers[.contentType] = record.contentType
        headers[.contentDisposition] = ContentDisposition.value(
            disposition: inline ? .inline : .attachment, filename: record.name)
        // Uploaded bytes are never trusted as a page of this origin: a document that could run
        // script (HTML, SVG, XML) is sandboxed, without scripts or access to this site's storage.
        headers[.xContentTypeOptions] = "nosniff"
        if scriptableTypes.contains(where: record.contentType.lowercased().hasPrefix) {
            headers[.contentSecurityPolicy] = "sandbox"
        }
    }

    /// Media types a browser may run script in.
    static let scriptableTypes = ["text/html", "application/xhtml", "image/svg", "text/xml", "application/xml"]
}
