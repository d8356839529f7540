import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SluiceCore
import SluiceParsing

/// `GET`/`HEAD /{id}` and `/{id}/{name}`: streamed downloads with ranges, conditional requests,
/// `?info=1`, `?inline=1`, download limits, and `?page=1`, the download page (``PageRoutes``).
struct DownloadRoutes: Sendable {
    let blobs: any BlobStore
    let metadata: any MetadataStore
    let clock: any WallClock
    let links: LinkBuilder

    func register(on router: Router<SluiceRequestContext>) {
        for path in ["/:id", "/:id/:name"] {
            router.get(RouterPath(path)) { request, context in try await download(request, context: context) }
            router.head(RouterPath(path)) { request, context in try await download(request, context: context) }
        }
    }

    func download(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let rawID = context.parameters.get("id")
        // `?page=1`: the download page for browsers, in HTML also when the link does not work.
        guard request.uri.queryParameters["page"] == "1" else {
            return try await download(request, record: try await find(rawID, request: request), context: context)
        }
        let record: FileRecord
        do {
            record = try await find(rawID, request: request)
        } catch SluiceError.notFound(let reason) {
            return PageRoutes.notFoundPage(reason: reason, request: request, links: links)
        }
        return try PageRoutes.filePage(record, request: request, links: links)
    }

    /// The record of `rawID` while its link works; else ``SluiceError/notFound(_:)`` saying why.
    /// A link with a password also needs it, as `X-Password` or the password of HTTP Basic.
    private func find(_ rawID: String?, request: Request) async throws -> FileRecord {
        guard let id = rawID.flatMap(FileID.init) else { throw SluiceError.notFound("not found") }
        guard let record = try await metadata.find(id) else { throw SluiceError.notFound("not found") }
        if let reason = record.unavailability(at: clock.now) { throw SluiceError.notFound(reason.rawValue) }
        if let passwordHash = record.passwordHash {
            let presented = request.headers[UploadLimitsParser.passwordHeader].map { Array($0.utf8) }
                ?? PresentedCredentials(request.headers)?.secret
            guard let presented, await LinkPassword.verify(presented, against: passwordHash) else {
                throw SluiceError.credentialsRequired(.link)
            }
        }
        return record
    }

    private func download(_ request: Request, record: FileRecord, context: SluiceRequestContext) async throws -> Response {
        if request.uri.queryParameters["info"] == "1" {
            let json = FileJSON(
                record: record, url: links.fileURL(base: try links.base(for: request), record: record), includeInfo: true)
            return try JSONResponse.response(.ok, json)
        }

        let inline = request.uri.queryParameters["inline"] == "1"
        switch DownloadAnswer(record: record, method: request.method, headers: request.headers, inline: inline) {
        case .notModified(let headers):
            var response = Response(status: .notModified, headers: headers)
            response.headers[.contentLength] = nil  // a 304 describes the file, not an empty body
            return response
        case .unsatisfiable:
            throw SluiceError.rangeNotSatisfiable(size: record.size)
        case .bytes(let status, let headers, let range, let takesSlot):
            if takesSlot {
                guard try await metadata.reserveDownload(record.id, now: clock.now) else {
                    throw SluiceError.notFound(FileRecord.Unavailability.usedUp.rawValue)
                }
            }
            return try await stream(
                record, range: range, status: status, headers: headers, request: request, context: context,
                slot: takesSlot)
        }
    }

    /// Bodies up to this size are read whole before the answer starts (one chunk of local storage).
    static let wholeBodyLimit = 64 * 1024

    /// The response whose body streams `range` from storage: by the kernel from the blob's file
    /// where the store keeps files (``FileSender``), else through memory. When `slot` is held it
    /// is spent if the last byte went out and given back otherwise.
    private func stream(
        _ record: FileRecord, range: ClosedRange<Int64>?, status: HTTPResponse.Status, headers: HTTPFields,
        request: Request, context: SluiceRequestContext, slot: Bool
    ) async throws -> Response {
        let length = range.map { Int($0.count) } ?? 0
        guard request.method != .head, let range else {
            var headers = headers
            headers[.contentLength] = String(length)
            return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer()))
        }
        let blobs = self.blobs
        if !slot, length <= Self.wholeBodyLimit {
            // A small body is read before the answer starts: head and body leave in one write,
            // and a failed read is still an error status, not a cut connection.
            var whole: ByteBuffer?
            try await blobs.read(record.id, range: range) { chunk in
                if whole == nil { whole = chunk } else { whole!.writeImmutableBuffer(chunk) }
            }
            guard let whole else { throw SluiceError.notFound("the file is shorter than its record") }
            return Response(status: status, headers: headers, body: .init(byteBuffer: whole))
        }
        let metadata = self.metadata
        let body = ResponseBody(contentLength: length) { writer in
            do {
                if try await !Self.sendFile(record, range: range, from: blobs, context: context) {
                    try await blobs.read(record.id, range: range) { chunk in try await writer.write(chunk) }
                }
                try await writer.finish(nil)
            } catch {
                if slot { try? await metadata.releaseDownload(record.id, completed: false) }
                throw error
            }
            if slot { try await metadata.releaseDownload(record.id, completed: true) }
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// Sends `range` of the blob's file by the kernel; `false` when the store keeps no files or
    /// the connection is gone before the first byte.
    private static func sendFile(
        _ record: FileRecord, range: ClosedRange<Int64>, from blobs: any BlobStore, context: SluiceRequestContext
    ) async throws -> Bool {
        guard let file = try await blobs.openFile(record.id) else { return false }
        defer { file.close() }
        guard let sender = await context.fileSender() else { return false }
        try await sender.send(file, range: range)
        return true
    }
}
