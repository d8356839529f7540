/// The lock instances sharing one database take to apply migrations one at a time: every
/// instance waits its turn, and the later ones find nothing left to do.
protocol MigrationLock: Sendable {
    /// Runs `body` holding the lock.
    func withLock<T: Sendable>(_ body: () async throws -> T) async throws -> T
}

/// An embedded database belongs to one process, which migrates from one task: there is no one
/// else to exclude.
struct SingleProcessLock: MigrationLock {
    func withLock<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await body()
    }
}
