import Foundation

/// How often, and after how long a pause, a transfer step that failed on the way is tried again:
/// the pause doubles from ``firstDelay`` up to ``maxDelay``.
public struct RetryPolicy: Sendable {
    /// Retries after consecutive failures; a step that succeeds starts the count again.
    public var attempts: Int
    public var firstDelay: Duration
    public var maxDelay: Duration

    public init(attempts: Int = 8, firstDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(30)) {
        self.attempts = attempts
        self.firstDelay = firstDelay
        self.maxDelay = maxDelay
    }

    /// Sleeps before retry number `failures` (1, 2, …), after telling `report` why and for how
    /// long, or rethrows `error` when it is not retryable or the retries are used up.
    func pause(after error: any Error, failures: Int, report: (String) async -> Void) async throws {
        guard let error = error as? ClientError, error.isRetryable, failures <= attempts else { throw error }
        let delay = min(firstDelay * (1 << min(failures - 1, 20)), maxDelay)
        let seconds = String(format: "%.1f", ProgressDisplay.seconds(delay))
        await report("\(error.description); retry \(failures) of \(attempts) in \(seconds) s")
        try await Task.sleep(for: delay)
    }

    /// Runs `step`, trying it again after retryable failures.
    func run<T>(report: (String) async -> Void, _ step: () async throws -> T) async throws -> T {
        var failures = 0
        while true {
            do {
                return try await step()
            } catch {
                failures += 1
                try await pause(after: error, failures: failures, report: report)
            }
        }
    }
}
