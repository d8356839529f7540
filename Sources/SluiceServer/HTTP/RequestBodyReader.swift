import HTTPTypes
import Hummingbird
import Metrics
import NIOCore
import SluiceCore

/// Reading a request body chunk by chunk, telling a client that went away apart from a failure
/// of our own.
enum RequestBodyReader {
    /// The declared Content-Length, `nil` for a chunked body. (The HTTP decoder already refused
    /// a malformed one.)
    static func declared(_ request: Request) throws -> Int64? {
        guard let text = request.headers[.contentLength] else { return nil }
        guard let value = Int64(text), value >= 0 else { throw SluiceError.badRequest("invalid Content-Length") }
        return value
    }

    /// Calls `consume` with each chunk of the body, awaiting it before reading the next one (the
    /// backpressure chain), adding its size to `counter`. A body that breaks off throws
    /// ``SluiceError/clientDisconnected``.
    static func forEachChunk(
        of request: Request, counting counter: Counter, _ consume: (ByteBuffer) async throws -> Void
    ) async throws {
        var iterator = request.body.makeAsyncIterator()
        while true {
            let chunk: ByteBuffer?
            do {
                chunk = try await iterator.next()
            } catch {
                throw SluiceError.clientDisconnected
            }
            guard let chunk else { return }
            counter.increment(by: chunk.readableBytes)
            try await consume(chunk)
        }
    }
}
