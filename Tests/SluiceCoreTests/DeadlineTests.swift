import SluiceCore
import Testing

/// `withDeadline`: the answer of an operation in time, or the caller's error once the time is up,
/// without waiting for an operation that ignores cancellation.
@Suite struct DeadlineTests {
    struct Expired: Error {}
    struct Failed: Error {}

    @Test func anOperationInTimeGivesItsResultOrError() async throws {
        #expect(try await withDeadline(.seconds(5), expired: Expired()) { 42 } == 42)
        await #expect(throws: Failed.self) {
            try await withDeadline(.seconds(5), expired: Expired()) { () async throws -> Int in throw Failed() }
        }
    }

    @Test func aLateOperationIsLeftBehindAtTheDeadline() async throws {
        let start = ContinuousClock.now
        await #expect(throws: Expired.self) {
            try await withDeadline(.milliseconds(100), expired: Expired()) {
                // Ignores cancellation, as a connection pool's wait may.
                let end = ContinuousClock.now + .seconds(3)
                while ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(50)) }
                return 1
            }
        }
        #expect(ContinuousClock.now - start < .seconds(2))
    }
}
