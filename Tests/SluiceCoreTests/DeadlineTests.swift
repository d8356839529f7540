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
        // test lets it go, after withDeadline returned: it can only return by its deadline.
        let released = Atomic<Bool>(false)
        await #expect(throws: Expired.self) {
            try await withDeadline(.milliseconds(100), expired: Expired()) {
                while !released.load(ordering: .relaxed) { try? await Task.sleep(for: .milliseconds(20)) }
                return 1
            }
        }
        released.store(true, ordering: .relaxed)
    }
}
