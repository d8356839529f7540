import HTTPTypes
import Hummingbird
import Logging
import Metrics
import Synchronization

/// Logs one line per request once its response body has been sent (method, path, status, bytes
/// in and out, milliseconds) and records the ``TrafficMetrics`` of uploads and downloads.
struct TrafficMiddleware: RouterMiddleware {
    typealias Context = SluiceRequestContext

    let logger: Logger
    let metrics: TrafficMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let isUpload =
            request.method == .put || request.method == .patch
            || (request.method == .post && (request.uri.path == "/" || request.uri.path.hasPrefix("/files")))
        if isUpload { metrics.uploadsInFlight.increment() }
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            if isUpload { metrics.uploadsInFlight.decrement() }
            throw error
        }
        if isUpload {
            metrics.uploadsInFlight.decrement()
            metrics.uploadDuration.recordInterval(since: start)
        }
        let isDownload = (request.method == .get) && (response.status == .ok || response.status == .partialContent)
            && response.headers[.contentDisposition] != nil
        let status = response.status.code
        let sent = context.sentBytes
        let original = response.body
        let metrics = self.metrics
        let logger = self.logger
        let finished: @Sendable (Bool) -> Void = { complete in
            let bytes = sent.total
            metrics.bytesOut.increment(by: bytes)
            if isDownload && complete { metrics.downloadDuration.recordInterval(since: start) }
            let elapsed = ContinuousClock.now - start
            logger.info(
                "\(request.method) \(request.uri.path) \(status)",
                metadata: [
                    "in": "\(request.headers[.contentLength] ?? (request.headers[.transferEncoding] != nil ? "chunked" : "0"))",
                    "out": "\(bytes)", "ms": "\(elapsed.milliseconds)", "complete": "\(complete)",
                ])
        }
        response.body = ResponseBody(contentLength: original.contentLength) { writer in
            do {
                try await original.map { buffer in
                    sent.add(buffer.readableBytes)
                    return buffer
                }.write(writer)
            } catch {
                finished(false)
                throw error
            }
            finished(true)
        }
        return response
    }
}

/// Bytes of one response body sent so far.
final class SentBytes: Sendable {
    private let count = Atomic<Int>(0)
    func add(_ bytes: Int) { count.add(bytes, ordering: .relaxed) }
    var total: Int { count.load(ordering: .relaxed) }
}

extension Metrics.Timer {
    /// Records the time from `start` to now.
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
