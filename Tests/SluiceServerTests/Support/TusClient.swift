import Crypto
import Foundation
import NIOHTTP1

/// Speaks tus 1.0.0 to a ``LiveServer``: every request carries `Tus-Resumable: 1.0.0`.
struct TusClient {
    let server: LiveServer

    /// Sends `method` to `path` (relative or absolute) with the tus header and `headers`.
    func send(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil
    ) async throws -> Answer {
        try await server.request(method, path, headers: [("Tus-Resumable", "1.0.0")] + headers, body: body)
    }

    /// Creates an upload and returns its absolute URL; fails the test on any status but 201.
    func create(length: Int?, metadata: [String: String] = [:]) async throws -> String {
        var headers = length.map { [("Upload-Length", String($0))] } ?? [("Upload-Defer-Length", "1")]
        if !metadata.isEmpty { headers.append(("Upload-Metadata", Self.metadataHeader(metadata))) }
        let answer = try await send(.POST, "/files/", headers: headers)
        guard answer.status == 201, let location = answer.header("Location") else {
            throw TestFailure("creation answered \(answer.status): \(answer.text)")
        }
        return location
    }

    /// `PATCH`es `bytes` at `offset`.
    func patch(_ url: String, offset: Int, _ bytes: [UInt8], headers: [(String, String)] = []) async throws -> Answer {
        try await send(
            .PATCH, url,
            headers: [("Upload-Offset", String(offset)), ("Content-Type", "application/offset+octet-stream")] + headers,
            body: bytes)
    }

    /// The upload's `Upload-Offset` as `HEAD` reports it.
    func offset(_ url: String) async throws -> Int? {
        try await send(.HEAD, url).header("Upload-Offset").flatMap { Int($0) }
    }

    /// Creates an upload of `bytes` and sends them in PATCHes of `chunkSize`; returns the URL and
    /// the last answer.
    func upload(_ bytes: [UInt8], chunkSize: Int, metadata: [String: String] = [:]) async throws -> (url: String, last: Answer) {
        let url = try await create(length: bytes.count, metadata: metadata)
        var offset = 0
        var last: Answer?
        while offset < bytes.count {
            let end = min(offset + chunkSize, bytes.count)
            let answer = try await patch(url, offset: offset, Array(bytes[offset..<end]))
            guard answer.status == 204 else { throw TestFailure("PATCH answered \(answer.status): \(answer.text)") }
            offset = end
            last = answer
        }
        guard let last else { throw TestFailure("nothing to upload") }
        return (url, last)
    }

    static func metadataHeader(_ pairs: [String: String]) -> String {
        pairs.sorted { $0.key < $1.key }.map { "\($0.key) \(Data($0.value.utf8).base64EncodedString())" }
            .joined(separator: ",")
    }

    /// The raw request head of a PATCH, for sending by hand over a ``RawConnection``.
    static func patchHead(path: String, offset: Int, contentLength: Int) -> String {
        "PATCH \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: \(offset)\r\n"
            + "Content-Type: application/offset+octet-stream\r\nContent-Length: \(contentLength)\r\n\r\n"
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}
