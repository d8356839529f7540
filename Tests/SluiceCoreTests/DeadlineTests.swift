import SluiceCore
import Synchronization
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
        // The operation ignores cancellation (as a connection pool's wait may) and runs until the
        // test lets it go, or 30 s at most: withDeadline must return while it still runs.
        let released = Atomic<Bool>(false)
        let finished = Atomic<Bool>(false)
        await #expect(throws: Expired.self) {
            try await withDeadline(.milliseconds(100), expired: Expired()) {
                let end = ContinuousClock.now + .seconds(30)
                while !released.load(ordering: .relaxed) && ContinuousClock.now < end {
                    try? await Task.sleep(for: .milliseconds(20))
                }
                finished.store(true, ordering: .relaxed)
                return 1
            }
        }
        let finishedInTime = finished.load(ordering: .relaxed)
        #expect(!finishedInTime)
        released.store(true, ordering: .relaxed)
    }
}
