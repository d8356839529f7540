import AsyncHTTPClient
import NIOCore
import NIOFileSystem

/// The body of an upload: a small buffer, or a byte range of a file streamed from disk.
public enum S3Body: Sendable {
    /// Bytes in memory, signed with their SHA-256. For small bodies (manifests, XML).
    case bytes(ByteBuffer)
    /// `length` bytes of the file at `path` from `offset`, read in chunks of at most 256 KiB as
    /// the connection takes them, and sent as `UNSIGNED-PAYLOAD`, so that nothing near the size
    /// of the body is ever held in memory.
    case file(path: String, offset: Int64, length: Int64)

    /// The number of bytes sent (the `Content-Length`).
    public var length: Int64 {
        switch self {
        case .bytes(let buffer): Int64(buffer.readableBytes)
        case .file(_, _, let length): length
        }
    }

    static let fileChunkLength = ByteCount.kibibytes(256)

    /// Runs `send` with the body as async-http-client takes it, and the matching payload hash;
    /// a file stays open until `send` returns. A file shorter than `offset + length` makes the
    /// request fail with a body length mismatch.
    func withHTTPBody<Result>(
        _ send: (HTTPClientRequest.Body, _ payloadHash: String) async throws -> Result
    ) async throws -> Result {
        switch self {
        case .bytes(let buffer):
            return try await send(.bytes(buffer), AWSSignatureV4.payloadHash(of: buffer))
        case .file(let path, let offset, let length):
            return try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { file in
                let chunks = file.readChunks(in: offset..<(offset + length), chunkLength: Self.fileChunkLength)
                return try await send(.stream(chunks, length: .known(length)), AWSSignatureV4.unsignedPayload)
            }
        }
    }
}
