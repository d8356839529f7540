import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFileSystem
import NIOHTTP1

/// A file the server now holds.
public struct UploadedFile: Sendable, Codable, Equatable {
    /// The local path as given.
    public let file: String
    public let size: Int64
    public let url: String
    public let deleteUrl: String
    /// Bytes the server already had when this run started (0 for a fresh upload).
    public let resumedFrom: Int64
}

/// Uploads files with tus 1.0.0: creates the upload (`POST /files/` with `Upload-Length` and
/// `Upload-Metadata`), remembers its URL in the ``UploadStateFile``, and sends the file in
/// `PATCH`es of ``chunkSize`` streamed from disk. After a broken connection, a `5xx` or a `409`
/// it waits (``RetryPolicy``), asks the server for its offset with `HEAD` and goes on from there;
/// a later run with the same file, server and limits resumes the same way.
public struct FileUploader: Sendable {
    /// The server's base URL, without a trailing slash.
    public let server: String
    /// `maxDays` and `maxDownloads` metadata, as the `Max-Days`/`Max-Downloads` headers.
    public var maxDays: String?
    public var maxDownloads: Int?
    public var chunkSize: Int64 = 8 << 20
    public var retry = RetryPolicy()
    public let state: UploadStateFile
    let progress: ProgressDisplay
    let http = ClientHTTP()

    public init(server: String, state: UploadStateFile, progress: ProgressDisplay) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.state = state
        self.progress = progress
    }

    /// Where a tus upload stands: its offset, and its links once complete.
    private struct Standing {
        var url: String
        var offset: Int64
        var links: (url: String, deleteUrl: String)?
    }

    /// Uploads the file at `path`, resuming a saved upload of it, and returns its links.
    public func upload(_ path: String) async throws -> UploadedFile {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let (size, modified) = try Self.sizeAndDate(absolute)
        let name = URL(fileURLWithPath: absolute).lastPathComponent
        let key = [server, absolute, String(size), String(modified), maxDays ?? "", maxDownloads.map(String.init) ?? ""]
            .joined(separator: "|")

        let report: (String) async -> Void = { [progress] in await progress.note("\(name): \($0)") }
        var standing: Standing
        if let saved = await state.uploadURL(for: key),
           let found = try await retry.run(report: report, { try await status(of: saved, size: size) }) {
            standing = found
        } else {
            try await state.forget(key)
            standing = try await retry.run(report: report) { try await create(name: name, size: size) }
            try await state.remember(standing.url, for: key)
        }
        let resumedFrom = standing.offset

        let id = await progress.start(name, total: size, done: standing.offset)
        var failures = 0
        var lost = false
        while true {
            if let links = standing.links {
                try await state.forget(key)
                await progress.finish(id)
                return UploadedFile(file: path, size: size, url: links.url, deleteUrl: links.deleteUrl, resumedFrom: resumedFrom)
            }
            do {
                if lost {
                    guard let found = try await status(of: standing.url, size: size) else {
                        throw ClientError.notFound("the upload is gone from the server")
                    }
                    standing = found
                    lost = false
                    await progress.update(id, done: standing.offset)
                } else {
                    standing = try await patch(standing, file: absolute, size: size, progressID: id)
                    failures = 0
                }
            } catch {
                failures += 1
                try await retry.pause(after: error, failures: failures, report: report)
                lost = true
            }
        }
    }

    /// `POST /files/`: a new upload of `size` bytes named `name` (no `filetype`: the server
    /// takes the type from the name's extension, with the same table as for every upload).
    private func create(name: String, size: Int64) async throws -> Standing {
        var metadata = [("filename", name)]
        if let maxDays { metadata.append(("maxDays", maxDays)) }
        if let maxDownloads { metadata.append(("maxDownloads", String(maxDownloads))) }
        let encoded = metadata.map { "\($0.0) \(Data($0.1.utf8).base64EncodedString())" }.joined(separator: ",")
        let request = HTTPClientRequest(.POST, server + "/files/", headers: [
            ("Tus-Resumable", "1.0.0"), ("Upload-Length", String(size)), ("Upload-Metadata", encoded),
        ])
        let (response, body) = try await http.text(request)
        guard response.status == .created, let location = response.headers.first(name: "Location") else {
            throw ClientError.answer(Int(response.status.code), body: body, for: request.url)
        }
        let url = URL(string: location, relativeTo: URL(string: server))?.absoluteString ?? location
        return Standing(url: url, offset: 0, links: Self.links(response.headers))
    }

    /// `HEAD` of the upload: where it stands, or nil when the server no longer has it (or it is
    /// another length).
    private func status(of url: String, size: Int64) async throws -> Standing? {
        let (response, body) = try await http.text(HTTPClientRequest(.HEAD, url, headers: [("Tus-Resumable", "1.0.0")]))
        switch response.status.code {
        case 200, 204:
            guard let offset = response.headers.first(name: "Upload-Offset").flatMap({ Int64($0) }),
                  response.headers.first(name: "Upload-Length").flatMap({ Int64($0) }) == size
            else { return nil }
            return Standing(url: url, offset: offset, links: Self.links(response.headers))
        case 404, 410:
            return nil
        default:
            throw ClientError.answer(Int(response.status.code), body: body, for: url)
        }
    }

    /// Sends the next chunk of the file from `standing.offset`, read from disk as it goes.
    private func patch(_ standing: Standing, file: String, size: Int64, progressID: Int) async throws -> Standing {
        let start = standing.offset
        let end = min(start + chunkSize, size)
        let progress = self.progress
        return try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(file)) { handle in
            let chunks = handle.readChunks(in: start..<end, chunkLength: .kibibytes(256)).map { chunk in
                await progress.advance(progressID, by: chunk.readableBytes)
                return chunk
            }
            var request = HTTPClientRequest(.PATCH, standing.url, headers: [
                ("Tus-Resumable", "1.0.0"), ("Upload-Offset", String(start)),
                ("Content-Type", "application/offset+octet-stream"),
            ])
            request.body = .stream(chunks, length: .known(end - start))
            let response = try await http.execute(request, timeout: .minutes(10))
            let body = try await ClientHTTP.mapTransportErrors(standing.url) { try await response.body.collect(upTo: 1 << 20) }
            guard response.status == .noContent else {
                throw ClientError.answer(Int(response.status.code), body: String(buffer: body), for: standing.url)
            }
            let offset = response.headers.first(name: "Upload-Offset").flatMap { Int64($0) } ?? end
            await progress.update(progressID, done: offset)
            return Standing(url: standing.url, offset: offset, links: Self.links(response.headers))
        }
    }

    private static func links(_ headers: HTTPHeaders) -> (url: String, deleteUrl: String)? {
        guard let url = headers.first(name: "X-Url"), let deleteUrl = headers.first(name: "X-Url-Delete") else { return nil }
        return (url, deleteUrl)
    }

    /// The size and modification time (nanoseconds since 1970) of a regular file.
    private static func sizeAndDate(_ path: String) throws -> (Int64, Int64) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw ClientError.failed("no such file")
        }
        guard (attributes[.type] as? FileAttributeType) == .typeRegular else {
            throw ClientError.failed("not a regular file")
        }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return (size, Int64(modified * 1e9))
    }
}
