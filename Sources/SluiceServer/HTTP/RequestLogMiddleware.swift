import HTTPTypes
import Hummingbird
import Logging

/// Logs one line per request: method, path, status, bytes in and out, and time taken.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        logger.info(
            "\(request.method) \(request.uri.path) \(response.status.code)",
            metadata: [
                "in": "\(request.headers[.contentLength] ?? "-")",
                "out": "\(response.headers[.contentLength] ?? "-")",
                "ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
            ])
        return response
    }
}
