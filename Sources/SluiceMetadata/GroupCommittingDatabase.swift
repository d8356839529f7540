import Logging
import NIOCore
import SQLKit
import Synchronization

/// A SQLite database whose writes share transactions when they queue up (group commit).
///
/// SQLite commits one transaction at a time, each with an fsync of its write-ahead log, so with
/// `synchronous=FULL` every upload's two commits waited in one line for the disk. Here a write
/// that arrives while another runs waits for it, and everything that queued meanwhile then
/// runs in one `BEGIN IMMEDIATE … COMMIT`: one fsync for the lot, and each caller returns only
/// after that commit, so an answered upload is still durable. Rows are handed to the callers
/// only once their transaction committed.
///
/// If a statement of a shared transaction fails, the transaction is rolled back and each of its
/// statements runs again on its own, so one caller's error (a constraint, say) is never
/// another's. Reads (`SELECT`, `PRAGMA`) are not queued: on the one connection, a read that
/// comes while a shared transaction is open sees its writes before they are committed (a
/// record a moment early; gone again only if the commit fails). Statements that manage
/// transactions themselves (the schema migrations) must use the plain connection. Each write is
/// rendered to SQL once here, to tell it from a read, and again by the connection.
///
/// ``probeWritable()`` tells whether the database takes writes without a commit of its own,
/// which under load would wait for an fsync behind the uploads' writeback: while writes are
/// committing it answers at once if they are moving (a commit, a lock a probe took, or a batch
/// begun after either, in the last 2 s); otherwise it takes the write lock and lets go.
final class GroupCommittingDatabase: SQLDatabase {
    /// While writes run, progress this recent answers a probe.
    static let recentProgress: Duration = .seconds(2)

    private struct Write {
        let query: any SQLExpression
        let onRow: @Sendable (any SQLRow) -> Void
        let done: CheckedContinuation<Void, any Error>
    }

    private struct Queue {
        var waiting: [Write] = []
        var probes: [CheckedContinuation<Void, any Error>] = []
        var running = false
        /// When a write last committed, a probe took the write lock, or a batch began after
        /// either; `nil` before the first and once a commit or lock failed, so that only a
        /// commit or a lock brings it back.
        var lastProgress: ContinuousClock.Instant?
    }

    private let inner: any SQLDatabase
    private let queue = Mutex(Queue())

    init(_ inner: any SQLDatabase) {
        self.inner = inner
    }

    var logger: Logger { inner.logger }
    var eventLoop: any EventLoop { inner.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { inner.version }
    var dialect: any SQLDialect { inner.dialect }
    var queryLogLevel: Logger.Level? { inner.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        promise.completeWithTask { try await self.execute(sql: query, onRow) }
        return promise.futureResult
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        guard Self.writes(inner.serialize(query).sql) else {
            return try await inner.execute(sql: query, onRow)
        }
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            let startsRunning = queue.withLock { queue in
                queue.waiting.append(Write(query: query, onRow: onRow, done: done))
                guard !queue.running else { return false }
                queue.running = true
                return true
            }
            if startsRunning { Task { await self.runQueued() } }
        }
    }

    /// When writes last made progress: a commit, a lock taken, or a batch begun after either
    /// (tests wait on it).
    var lastProgress: ContinuousClock.Instant? { queue.withLock { $0.lastProgress } }

    /// Returns once the database takes writes, or throws what refused the write lock (another
    /// process holding it, say); never commits anything.
    func probeWritable() async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            enum Next { case answered, queued, startsRunning }
            let next = queue.withLock { queue -> Next in
                if queue.running, let last = queue.lastProgress, last.duration(to: .now) < Self.recentProgress {
                    return .answered
                }
                queue.probes.append(done)
                guard !queue.running else { return .queued }
                queue.running = true
                return .startsRunning
            }
            switch next {
            case .answered: done.resume()
            case .queued: break
            case .startsRunning: Task { await self.runQueued() }
            }
        }
    }

    /// Whether `sql` may change the database (anything but a read).
    static func writes(_ sql: some StringProtocol) -> Bool {
        let verb = sql.drop { $0.isWhitespace }.prefix { $0.isLetter }.uppercased()
        return verb != "SELECT" && verb != "PRAGMA"
    }

    /// Runs what waits, batch after batch, until nothing does; probes after the batch's writes.
    private func runQueued() async {
        while true {
            let (batch, probes) = queue.withLock { queue in
                let taken = (queue.waiting, queue.probes)
                queue.waiting = []
                queue.probes = []
                if taken.0.isEmpty && taken.1.isEmpty { queue.running = false }
                if !taken.0.isEmpty, queue.lastProgress != nil { queue.lastProgress = .now }
                return taken
            }
            guard !batch.isEmpty || !probes.isEmpty else { return }
            if batch.count == 1 {
                await runAlone(batch[0])
            } else if batch.count > 1 {
                await runTogether(batch)
            }
            if !probes.isEmpty {
                let outcome: Result<Void, any Error>
                do {
                    try await takeWriteLock()
                    recordProgress(true)
                    outcome = .success(())
                } catch {
                    recordProgress(false)
                    outcome = .failure(error)
                }
                for probe in probes { probe.resume(with: outcome) }
            }
        }
    }

    /// Takes SQLite's write lock and lets go of it: no write, so nothing to fsync.
    private func takeWriteLock() async throws {
        try await inner.execute(sql: SQLRaw("BEGIN IMMEDIATE")) { _ in }
        try await inner.execute(sql: SQLRaw("ROLLBACK")) { _ in }
    }

    /// Notes a commit or a write lock taken (`succeeded`), or one refused.
    private func recordProgress(_ succeeded: Bool) {
        queue.withLock { $0.lastProgress = succeeded ? .now : nil }
    }

    private func runAlone(_ write: Write) async {
        do {
            try await inner.execute(sql: write.query, write.onRow)
            recordProgress(true)
            write.done.resume()
        } catch {
            recordProgress(false)
            write.done.resume(throwing: error)
        }
    }

    private func runTogether(_ batch: [Write]) async {
        do {
            try await inner.execute(sql: SQLRaw("BEGIN IMMEDIATE")) { _ in }
        } catch {
            // Most likely another process holds the database: everyone gets that answer.
            recordProgress(false)
            for write in batch { write.done.resume(throwing: error) }
            return
        }
        var rows: [[any SQLRow]] = []
        for write in batch {
            let collected = RowCollector()
            do {
                try await inner.execute(sql: write.query) { collected.add($0) }
                rows.append(collected.rows)
            } catch {
                try? await inner.execute(sql: SQLRaw("ROLLBACK")) { _ in }
                for write in batch { await runAlone(write) }
                return
            }
        }
        do {
            try await inner.execute(sql: SQLRaw("COMMIT")) { _ in }
        } catch {
            try? await inner.execute(sql: SQLRaw("ROLLBACK")) { _ in }
            recordProgress(false)
            for write in batch { write.done.resume(throwing: error) }
            return
        }
        recordProgress(true)
        for (write, rows) in zip(batch, rows) {
            rows.forEach(write.onRow)
            write.done.resume()
        }
    }
}

/// The rows of one statement, kept until its transaction commits.
private final class RowCollector: Sendable {
    private let collected = Mutex<[any SQLRow]>([])
    func add(_ row: any SQLRow) { collected.withLock { $0.append(row) } }
    var rows: [any SQLRow] { collected.withLock { $0 } }
}
