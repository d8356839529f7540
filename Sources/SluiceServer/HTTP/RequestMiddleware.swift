import HTTPTypes
import Hummingbird
import SluiceCore

/// Everything a request passes on its way to its route and back, in this order: its metrics
/// (``RequestMeasurement``), tus's version check and headers (``TusProtocol``), the rate limits
/// and upload credentials (``AccessCheck``), the route itself (on the ``BodyWorkExecutor`` when
/// the request carries a body), and errors turned into answers (``ErrorResponses``).
///
/// One middleware, not one per job: every layer of Hummingbird's middleware chain keeps its
/// frames and closures (1-3 KiB of task memory) for as long as the request runs, which for an
/// upload is the whole transfer. With five layers, 1000 uploads held ~10 MiB in them alone
/// (heaptrack).
struct RequestMiddleware: RouterMiddleware {
    typealias Context = SluiceRequestContext

    let metrics: TrafficMetrics
    let access: AccessCheck
    let errors: ErrorResponses

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let measurement = RequestMeasurement(request, metrics: metrics)
        defer { measurement.end() }
        var response: Response
        if let rejection = TusProtocol.rejection(of: request) {
            response = rejection
        } else {
            do {
                try access.check(request, from: context.remoteAddress)
                if request.headers.announcesBody {
                    // Its chunks, hashing and metadata then never stand in the queue of the
                    // executor that every other request's route runs on.
                    response = try await withTaskExecutorPreference(BodyWorkExecutor.shared) {
                        try await next(request, context)
                    }
                } else {
                    response = try await next(request, context)
                }
            } catch {
                response = try errors.response(for: error, request: request, context: context)
            }
        }
        TusProtocol.addHeaders(to: &response, answering: request)
        measurement.record(response, route: context.endpointPath)
        return response
    }
}

extension HTTPFields {
    /// Whether these request headers announce a body (a `Transfer-Encoding`, or a
    /// `Content-Length` other than 0): the uploads (`PUT`, `POST`, tus `PATCH`).
    var announcesBody: Bool {
        self[.transferEncoding] != nil || (self[.contentLength].map { $0 != "0" } ?? false)
    }
}
