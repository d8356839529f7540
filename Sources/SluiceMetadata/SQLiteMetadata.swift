import Logging
import NIOPosix
import SQLiteKit
import SQLiteNIO
import SluiceCore

/// The embedded SQLite database file with the ``SQLMetadataStore`` on it.
public struct SQLiteMetadata: Sendable {
    /// The metadata store over this file.
    public let store: SQLMetadataStore
    private let connection: SQLiteConnection
    private let thread: NIOThreadPool

    /// The instance name of the one process that uses a SQLite file.
    public static let instance = "local"

    /// How many records of complete files the store keeps in memory (``RecordCache``; a few MB).
    public static let recordsKept = 8192

    /// Opens (creating if needed) the database at `path` in WAL mode with full fsync on commit,
    /// so an acknowledged upload survives a power loss, and brings its schema up to date. Writes
    /// that queue up share a commit (``GroupCommittingDatabase``); a SQLite file has one process,
    /// so the store keeps records of complete files in memory (``RecordCache``).
    ///
    /// The connection works on a thread of its own: on NIO's shared blocking pool, its commits
    /// queued behind whatever else ran there (in the tests, every other server's fsyncs), and a
    /// health check waited more than its 3 s.
    public static func open(path: String, logger: Logger) async throws -> SQLiteMetadata {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(
                storage: .file(path: path), threadPool: thread, logger: logger,
                on: MultiThreadedEventLoopGroup.singleton.any())
        } catch {
            try? await thread.shutdownGracefully()
            throw error
        }
        do {
            for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=5000"] {
                _ = try await connection.query(pragma)
            }
            // The migrations run their own transactions, on the plain connection; everything
            // after shares commits (GroupCommittingDatabase).
            try await SQLMetadataStore(database: connection.sql(), instance: instance, migrationLock: SingleProcessLock())
                .migrate()
            let store = SQLMetadataStore(
                database: GroupCommittingDatabase(connection.sql()), instance: instance, migrationLock: SingleProcessLock(),
                records: RecordCache(capacity: recordsKept))
            return SQLiteMetadata(store: store, connection: connection, thread: thread)
        } catch {
            try? await connection.close()
            try? await thread.shutdownGracefully()
            throw error
        }
    }

    /// Closes the database and stops its thread; the store must not be used afterwards.
    public func close() async throws {
        try await connection.close()
        try await thread.shutdownGracefully()
    }
}
