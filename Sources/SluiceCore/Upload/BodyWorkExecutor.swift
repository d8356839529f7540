import Dispatch

/// Where uploads run: their jobs (reading chunks, hashing, writing them to storage, the
/// metadata around them) go to Dispatch's global queue of utility QoS instead of Swift's
/// default one, which every other request shares.
///
/// With one queue for everything, a `/healthz` or a download waited behind every upload that
/// had a chunk ready: under 1000 uploads each of a probe's five trips through the queue took
/// 35-90 ms. Dispatch serves each QoS with threads of its own (on Linux at nice 2 for utility),
/// so on this queue the uploads still get the CPU from the kernel's scheduler, a little less
/// of it than other requests when both want it, and no other request lines up behind their
/// chunks.
///
/// These threads are neither event loops nor Swift's shared ones, so work here may wait for
/// the disk: local storage writes an upload's chunks into the page cache right here
/// (microseconds each, longer only when the kernel throttles writers), without a trip to a
/// file thread and back.
public final class BodyWorkExecutor: TaskExecutor {
    /// Holds no state: one serves the whole process.
    public static let shared = BodyWorkExecutor()

    private let queue = DispatchQueue.global(qos: .utility)

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    /// Whether the current task prefers this executor: then its code runs on these threads from
    /// its first suspension on.
    public static var isPreferred: Bool {
        withUnsafeCurrentTask { $0?.unownedTaskExecutor } == shared.asUnownedTaskExecutor()
    }
}
