import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SluiceCore
import SluiceParsing

/// The tus 1.0.0 resumable upload protocol at `/files/`: core (`HEAD`, `PATCH`, `OPTIONS`) and
/// the extensions creation, creation-with-upload, creation-defer-length, termination,
/// expiration and checksum. ``TusProtocol`` adds what every response carries.
struct TusRoutes: Sendable {
    let uploads: ResumableUploads
    let links: LinkBuilder
    let metrics: TrafficMetrics
    let progress: any ProgressPublisher

    func register(on router: Router<SluiceRequestContext>) {
        router.on("/files", method: .options) { _, _ in options() }
        router.on("/files/:upload", method: .options) { _, _ in options() }
        router.post("/files") { request, context in try await create(request, context: context) }
        router.head("/files/:upload") { request, context in
            try await status(request, id: context.parameters.get("upload"))
        }
        router.patch("/files/:upload") { request, context in
            try await append(request, id: context.parameters.get("upload"), context: context)
        }
        router.delete("/files/:upload") { _, context in
            let id = try uploadID(context.parameters.get("upload"))
            let record = try await uploads.find(id)
            try await uploads.terminate(id)
            if record.state == .uploading {
                progress.publish(
                    id.progressKey,
                    ProgressUpdate(received: record.size, total: record.resumable?.length, state: .failed, error: "terminated"))
            }
            return Response(status: .noContent)
        }
    }

    /// What the server supports.
    func options() -> Response {
        Response(
            status: .noContent,
            headers: [
                TusHeaders.tusVersion: TusHeaders.version,
                TusHeaders.tusExtension: TusHeaders.extensions,
                TusHeaders.tusMaxSize: String(uploads.maxUploadSize),
                TusHeaders.tusChecksumAlgorithm: ChunkChecksum.Algorithm.allCases.map(\.rawValue).joined(separator: ","),
            ])
    }

    /// `POST /files/`: creates an upload, and with a body (creation-with-upload) appends it.
    func create(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let base = try links.base(for: request)
        let length = try TusHeaders.creationLength(request.headers)
        let rawMetadata = request.headers[TusHeaders.uploadMetadata] ?? ""
        let metadata = try UploadMetadata.parse(rawMetadata)
        let name = try metadata.filename()
        let options = UploadOptions(name: name, contentType: try metadata.fileType() ?? MediaType.forFilename(name ?? ""))
        var limits = try metadata.limits()
        if let password = try metadata.password() { limits.passwordHash = try await LinkPassword.hash(password) }
        let bodyLength = try RequestBodyReader.declared(request)
        let hasBody = bodyLength.map { $0 > 0 } ?? TusHeaders.hasOffsetContentType(request.headers)
        if hasBody && !TusHeaders.hasOffsetContentType(request.headers) {
            throw SluiceError.unsupportedMediaType("an upload's bytes must be sent as \(TusHeaders.offsetContentType)")
        }
        if let length, let bodyLength, bodyLength > length { throw SluiceError.tooLarge(limit: length) }
        let checksum = try TusHeaders.checksum(request.headers)

        let id = try await uploads.create(
            length: length, options: options, limits: limits, rawMetadata: UploadMetadata.removingPassword(rawMetadata))
        var record = try await uploads.find(id)
        if hasBody || length == 0 {
            record = try await appendBody(
                of: request, context: context, to: id, offset: 0, length: nil, bodyLength: hasBody ? bodyLength : 0, checksum: checksum,
                base: base)
        }
        var headers = progressHeaders(record, id: id, base: base)
        headers[.location] = "\(base)/files/\(id)"
        return Response(status: .created, headers: headers)
    }

    /// `HEAD /files/{id}`: where the upload stands.
    func status(_ request: Request, id rawID: String?) async throws -> Response {
        let id = try uploadID(rawID)
        let record = try await uploads.find(id)
        var headers = progressHeaders(record, id: id, base: try links.base(for: request))
        if let length = record.resumable?.length {
            headers[TusHeaders.uploadLength] = String(length)
        } else if record.state != .complete {
            headers[TusHeaders.uploadDeferLength] = "1"
        } else {
            headers[TusHeaders.uploadLength] = String(record.size)
        }
        if let metadata = record.resumable?.metadata, !metadata.isEmpty {
            headers[TusHeaders.uploadMetadata] = metadata
        }
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers)
    }

    /// `PATCH /files/{id}`: appends the body at `Upload-Offset`.
    func append(_ request: Request, id rawID: String?, context: SluiceRequestContext) async throws -> Response {
        let id = try uploadID(rawID)
        guard TusHeaders.hasOffsetContentType(request.headers) else {
            throw SluiceError.unsupportedMediaType("PATCH takes Content-Type: \(TusHeaders.offsetContentType)")
        }
        let offset = try TusHeaders.offset(request.headers)
        let length = try TusHeaders.length(request.headers)
        let checksum = try TusHeaders.checksum(request.headers)
        let bodyLength = try RequestBodyReader.declared(request)
        let base = try links.base(for: request)
        let record = try await appendBody(
            of: request, context: context, to: id, offset: offset, length: length, bodyLength: bodyLength, checksum: checksum, base: base)
        return Response(status: .noContent, headers: progressHeaders(record, id: id, base: base))
    }

    /// Appends the request body, publishing the stored bytes to the upload's watchers. Only the
    /// upload's end (its last byte, or its expiry) is final for them: after any other failure
    /// the upload can resume.
    private func appendBody(
        of request: Request, context: SluiceRequestContext, to id: ResumableUploadID, offset: Int64, length: Int64?,
        bodyLength: Int64?,
        checksum: ChunkChecksum?, base: String
    ) async throws -> FileRecord {
        var reporter: ProgressReporter?
        do {
            let record = try await uploads.append(
                to: id, offset: offset, length: length, bodyLength: bodyLength, checksum: checksum
            ) { upload, consume in
                reporter = try ProgressReporter(
                    hub: progress, key: id.progressKey, received: upload.size, total: upload.resumable?.length,
                    claiming: false)
                var received: Int64 = 0
                try await RequestBodyReader.forEachChunk(of: request, context: context, counting: metrics.bytesIn) { chunk in
                    try await consume(chunk)
                    received += Int64(chunk.readableBytes)
                    reporter?.advance(by: chunk.readableBytes)
                }
                if let bodyLength, received != bodyLength { throw SluiceError.clientDisconnected }
            }
            if record.state == .complete {
                let url = links.fileURL(base: base, record: record)
                progress.publish(
                    id.progressKey, ProgressUpdate(received: record.size, total: record.size, state: .done, url: url))
            } else {
                reporter?.flush()
            }
            return record
        } catch SluiceError.gone(let reason) {
            progress.publish(id.progressKey, ProgressUpdate(received: 0, total: nil, state: .failed, error: "expired"))
            throw SluiceError.gone(reason)
        } catch {
            reporter?.flush()
            throw error
        }
    }

    /// `Upload-Offset`, and `Upload-Expires` while unfinished or the file's links once complete.
    private func progressHeaders(_ record: FileRecord, id: ResumableUploadID, base: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[TusHeaders.uploadOffset] = String(record.size)
        switch record.state {
        case .complete:
            headers[TusHeaders.fileURL] = links.fileURL(base: base, record: record)
            headers[FileHeaders.deleteURL] = links.deleteURL(base: base, record: record, token: id.token)
            headers[FileHeaders.reprDigest] = FileHeaders.reprDigest(sha256: record.sha256 ?? "")
        case .uploading, .deleted:
            if let expiresAt = record.expiresAt { headers[TusHeaders.uploadExpires] = HTTPDate.format(expiresAt) }
        }
        return headers
    }

    private func uploadID(_ text: String?) throws -> ResumableUploadID {
        guard let id = text.flatMap(ResumableUploadID.init) else { throw SluiceError.notFound("no such upload") }
        return id
    }
}
