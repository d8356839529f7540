import Dispatch
import HTTPTypes
import Hummingbird

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

/// Where uploads run: their jobs (reading chunks, hashing, handing them to storage, the
/// metadata around them) go to Dispatch's global queue of utility QoS instead of Swift's
/// default one, which every other request shares.
///
/// With one queue for everything, a `/healthz` or a download waited behind every upload that
/// had a chunk ready: under 1000 uploads each of a probe's five trips through the queue took
/// 35-90 ms. Dispatch serves each QoS with threads of its own (on Linux at nice 2 for utility),
/// so on this queue the uploads still get the CPU from the kernel's scheduler, a little less
/// of it than other requests when both want it, and no other request lines up behind their
/// chunks.
final class BodyWorkExecutor: TaskExecutor {
    /// Holds no state: one serves the whole process.
    static let shared = BodyWorkExecutor()

    private let queue = DispatchQueue.global(qos: .utility)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
