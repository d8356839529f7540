/// Runs `operation` but waits for it at most `timeout`: then throws `expired` at once and
/// cancels the operation, which may finish in the background. For waits a caller must not
/// inherit, such as a database that went away (its pool keeps a request waiting for a minute).
public func withDeadline<T: Sendable>(
    _ timeout: Duration, expired: @autoclosure @escaping @Sendable () -> any Error,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let (outcomes, outcome) = AsyncStream.makeStream(of: Result<T, any Error>.self)
    let work = Task {
        do {
            outcome.yield(.success(try await operation()))
        } catch {
            outcome.yield(.failure(error))
        }
    }
    let timer = Task {
        try? await Task.sleep(for: timeout)
        outcome.yield(.failure(expired()))
    }
    defer {
        work.cancel()
        timer.cancel()
        outcome.finish()
    }
    var iterator = outcomes.makeAsyncIterator()
    guard let first = await iterator.next() else { throw CancellationError() }
    return try first.get()
}
