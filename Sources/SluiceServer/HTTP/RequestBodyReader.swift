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
    /// backpressure chain), adding its size to `counter`, and hands each consumed chunk back to
    /// the connection's ``BodyWindow``. A body that breaks off throws
    /// ``SluiceError/clientDisconnected``.
    ///
    /// Every reader of a request body goes through here: a body read past its window without
    /// handing bytes back would wait for ever.
    static func forEachChunk(
        of request: Request, context: SluiceRequestContext, counting counter: Counter,
        _ consume: (ByteBuffer) async throws -> Void
    ) async throws {
        // A body no larger than one grant goes back to the budget when the response ends.
        let fitsGrant = try declared(request).map { $0 <= ReadBudget.grant } ?? false
        let window = fitsGrant ? nil : await context.bodyWindow()
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
            window?.release(chunk.readableBytes)
        }
    }
}
