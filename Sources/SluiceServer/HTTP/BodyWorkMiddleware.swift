import HTTPTypes
import Hummingbird
import SluiceCore

/// Runs every request that carries a body (the uploads: `PUT`, `POST`, tus `PATCH`) on the
/// ``BodyWorkExecutor``, from the route's first line to its answer.
struct BodyWorkMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let carriesBody = request.headers[.transferEncoding] != nil
            || (request.headers[.contentLength].map { $0 != "0" } ?? false)
        guard carriesBody else { return try await next(request, context) }
        return try await withTaskExecutorPreference(BodyWorkExecutor.shared) { try await next(request, context) }
    }
}
