/// Locks that instances sharing one database take to run a job alone: applying migrations
/// (every instance waits its turn) and sweeping (only one sweeps, the others skip a round).
protocol DatabaseLocks: Sendable {
    /// Runs `body` holding `lock`. When `waiting` is false and another instance holds the lock,
    /// returns `nil` at once without running `body`.
    func withLock<T: Sendable>(
        _ lock: DatabaseLock, waiting: Bool, _ body: () async throws -> T
    ) async throws -> T?
}

/// The jobs that run alone; the raw value is PostgreSQL's advisory lock key.
enum DatabaseLock: Int64 {
    /// 'SLUICEMG' as a big-endian integer.
    case migrations = 0x534C_5549_4345_4D47
    /// 'SLUICESW'.
    case sweeper = 0x534C_5549_4345_5357
}

/// An embedded database belongs to one process, which runs each of these jobs from one task:
/// there is no one else to exclude.
struct SingleProcessLocks: DatabaseLocks {
    func withLock<T: Sendable>(
        _ lock: DatabaseLock, waiting: Bool, _ body: () async throws -> T
    ) async throws -> T? {
        try await body()
    }
}
