import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOFileSystem
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file downloaded and verified.
public struct DownloadedFile: Sendable, Equatable {
    public let path: String
    public let size: Int64
    /// Bytes of a partial download that were kept (0 for a fresh download).
    public let resumedFrom: Int64
    /// Bytes received from the server in this run.
    public let fetched: Int64
}

/// Downloads a link: streams it into `.NAME.sluice-part` beside the target, resuming a partial
/// file with `Range` and `If-Range` (the ETag), hashes the whole file with SHA-256 (the kept
/// prefix of a partial is read back and hashed first), compares with the server's `Repr-Digest`,
/// and only then renames the file into place. A mismatch removes the partial file. A broken
/// connection is retried (``RetryPolicy``) from the bytes written so far.
public struct FileDownloader: Sendable {
    public var retry = RetryPolicy()
    let progress: ProgressDisplay
    let http = ClientHTTP()

    public init(progress: ProgressDisplay) {
        self.progress = progress
    }

    /// What `HEAD` says about the link.
    private struct Head {
        let size: Int64
        let etag: String?
        let digest: String?
        let name: String
    }

    /// The bytes written so far and their running hash.
    private struct Written {
        var offset: Int64
        var hash = SHA256()
    }

    /// Downloads `link` to `output` (a file path or an existing directory; by default the
    /// server's file name in the current directory) and returns where it went.
    public func download(_ link: String, to output: String? = nil) async throws -> DownloadedFile {
        let head = try await retry.run(report: { await progress.note($0) }) { try await self.head(link) }
        let target = Self.targetPath(output, name: head.name)
        let partial = target.deletingLastPathComponent()
            .appendingPathComponent(".\(target.lastPathComponent).sluice-part").path

        let (resumedFrom, fetched, digest) = try await Self.localErrors(partial) {
            try await FileSystem.shared.withFileHandle(
                forReadingAndWritingAt: FilePath(partial), options: .modifyFile(createIfNecessary: true)
            ) { handle in
                var written = try await keptPrefix(handle, size: head.size)
                let resumedFrom = written.offset
                let id = await progress.start(target.lastPathComponent, total: head.size, done: resumedFrom)
                var digest = head.digest
                var failures = 0
                while written.offset < head.size {
                    do {
                        digest = try await fetch(link, head: head, into: handle, written: &written, progressID: id) ?? digest
                        failures = 0
                    } catch {
                        failures += 1
                        try await retry.pause(after: error, failures: failures) { await progress.note("\(target.lastPathComponent): \($0)") }
                    }
                }
                try await handle.synchronize()
                await progress.finish(id)
                let hash = written.hash.finalize()
                return (resumedFrom, written.offset - resumedFrom, digest.map { Self.matches(hash, $0) })
            }
        }
        if digest == false {
            try? FileManager.default.removeItem(atPath: partial)
            throw ClientError.checksumMismatch("checksum mismatch: \(target.lastPathComponent) does not match the server's SHA-256; the partial download was removed")
        }
        guard rename(partial, target.path) == 0 else {
            throw ClientError.failed("cannot move the download to \(target.path): \(String(cString: strerror(errno)))")
        }
        return DownloadedFile(path: target.path, size: head.size, resumedFrom: resumedFrom, fetched: fetched)
    }

    private func head(_ link: String) async throws -> Head {
        let (response, body) = try await http.text(HTTPClientRequest(.HEAD, link))
        guard response.status == .ok, let size = response.headers.first(name: "Content-Length").flatMap({ Int64($0) }) else {
            throw ClientError.answer(Int(response.status.code), body: body, for: link)
        }
        return Head(
            size: size, etag: response.headers.first(name: "ETag"), digest: response.headers.first(name: "Repr-Digest"),
            name: DownloadName.from(contentDisposition: response.headers.first(name: "Content-Disposition"), link: link))
    }

    /// The partial file's bytes that are kept, hashed; a partial longer than the file is emptied.
    private func keptPrefix(_ handle: ReadWriteFileHandle, size: Int64) async throws -> Written {
        let length = try await handle.info().size
        guard length <= size else {
            try await handle.resize(to: .bytes(0))
            return Written(offset: 0)
        }
        var written = Written(offset: length)
        for try await chunk in handle.readChunks(in: 0..<length, chunkLength: .mebibytes(1)) {
            chunk.withUnsafeReadableBytes { written.hash.update(bufferPointer: $0) }
        }
        return written
    }

    /// One `GET` of the rest of the file, appended to `handle`; returns the answer's `Repr-Digest`.
    /// A `200` (the file changed, or ranges are not served) starts the file over.
    private func fetch(
        _ link: String, head: Head, into handle: ReadWriteFileHandle, written: inout Written, progressID: Int
    ) async throws -> String? {
        var headers: [(String, String)] = []
        if written.offset > 0 {
            headers.append(("Range", "bytes=\(written.offset)-"))
            if let etag = head.etag { headers.append(("If-Range", etag)) }
        }
        let response = try await http.execute(HTTPClientRequest(.GET, link, headers: headers), timeout: .hours(24 * 7))
        switch response.status {
        case .partialContent where written.offset > 0 && Self.rangeStart(response.headers) == written.offset:
            break
        case .ok:
            if written.offset > 0 {
                try await handle.resize(to: .bytes(0))
                written = Written(offset: 0)
                await progress.update(progressID, done: 0)
            }
        default:
            let body = try? await response.body.collect(upTo: 1 << 20)
            throw ClientError.answer(Int(response.status.code), body: body.map { String(buffer: $0) } ?? "", for: link)
        }
        try await ClientHTTP.mapTransportErrors(link) {
            for try await chunk in response.body {
                guard written.offset + Int64(chunk.readableBytes) <= head.size else {
                    throw ClientError.failed("the server sent more than the \(head.size) bytes it announced")
                }
                let count = try await Self.localErrors(link) {
                    try await handle.write(contentsOf: chunk, toAbsoluteOffset: written.offset)
                }
                chunk.withUnsafeReadableBytes { written.hash.update(bufferPointer: $0) }
                written.offset += count
                await progress.update(progressID, done: written.offset)
            }
        }
        return response.headers.first(name: "Repr-Digest")
    }

    /// The first byte of `Content-Range: bytes START-END/SIZE`.
    private static func rangeStart(_ headers: HTTPHeaders) -> Int64? {
        guard let value = headers.first(name: "Content-Range"), value.hasPrefix("bytes ") else { return nil }
        return value.dropFirst(6).split(separator: "-").first.flatMap { Int64($0) }
    }

    /// Whether `hash` is the `sha-256` of a `Repr-Digest` (RFC 9530: `sha-256=:BASE64:`).
    private static func matches(_ hash: SHA256.Digest, _ header: String) -> Bool {
        for member in header.split(separator: ",") {
            let parts = member.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "sha-256" else { continue }
            let encoded = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: ":"))
            return Data(base64Encoded: encoded) == Data(hash)
        }
        return false
    }

    /// `output` if it is a file path, `output/name` if it is a directory, else `./name`.
    private static func targetPath(_ output: String?, name: String) -> URL {
        guard let output else { return URL(fileURLWithPath: name) }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory), isDirectory.boolValue {
            return URL(fileURLWithPath: output).appendingPathComponent(name)
        }
        return URL(fileURLWithPath: output)
    }

    /// Runs `body`, turning file system errors about `path` into ``ClientError/failed(_:)``.
    private static func localErrors<T>(_ path: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as FileSystemError {
            throw ClientError.failed("cannot write \(path): \(error.message)")
        }
    }
}
