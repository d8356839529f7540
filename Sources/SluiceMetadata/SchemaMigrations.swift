import Foundation
import SQLKit

/// The versioned schema: each migration runs once, in order, recorded in `schema_migrations`.
///
/// Statements use only types both SQLite and PostgreSQL understand.
enum SchemaMigrations {
    /// Every migration ever released, oldest first. Never edit a released one; append.
    static let all: [(version: Int, statements: [String])] = [
        (
            1,
            [
                """
                CREATE TABLE files (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    content_type TEXT NOT NULL,
                    state TEXT NOT NULL,
                    size BIGINT NOT NULL,
                    sha256 TEXT,
                    delete_token_hash TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    completed_at BIGINT,
                    expires_at BIGINT,
                    max_downloads BIGINT,
                    downloads BIGINT NOT NULL DEFAULT 0,
                    active_downloads BIGINT NOT NULL DEFAULT 0
                )
                """,
                "CREATE INDEX files_state ON files (state)",
                "CREATE INDEX files_expires_at ON files (expires_at)",
            ]
        ),
        (
            2,
            [
                // Resumable (tus) uploads: `size` is their durable offset while they run.
                "ALTER TABLE files ADD COLUMN resumable INTEGER NOT NULL DEFAULT 0",
                "ALTER TABLE files ADD COLUMN upload_length BIGINT",
                "ALTER TABLE files ADD COLUMN upload_metadata TEXT",
                "ALTER TABLE files ADD COLUMN max_days DOUBLE PRECISION",
                "ALTER TABLE files ADD COLUMN digest_state TEXT",
                "ALTER TABLE files ADD COLUMN lease_token TEXT",
                "ALTER TABLE files ADD COLUMN lease_until BIGINT",
            ]
        ),
        (
            3,
            [
                // Several instances on one database: who runs an upload, who is alive, and the
                // blob store's own state of a resumable upload (an S3 multipart upload).
                "ALTER TABLE files ADD COLUMN owner TEXT",
                "ALTER TABLE files ADD COLUMN blob_state TEXT",
                "CREATE TABLE instances (id TEXT PRIMARY KEY, seen_at BIGINT NOT NULL)",
                // Jobs one instance at a time runs (the sweeper): who holds the turn, until when.
                "CREATE TABLE job_turns (job TEXT PRIMARY KEY, holder TEXT NOT NULL, until BIGINT NOT NULL)",
                // Which instance holds how many of a file's download slots (active_downloads).
                """
                CREATE TABLE running_downloads (
                    file_id TEXT NOT NULL, instance TEXT NOT NULL, slots BIGINT NOT NULL, PRIMARY KEY (file_id, instance))
                """,
                // Single-request uploads running before this version had no owner: the
                // previous process, which this start replaces.
                "UPDATE files SET owner = 'local' WHERE state = 'uploading' AND resumable = 0",
                // Slots held before this version were not entered in running_downloads; the
                // process that held them is the one this start replaces.
                "UPDATE files SET active_downloads = 0",
            ]
        ),
        (
            4,
            [
                // A link's optional password, as a LinkPassword (scrypt) hash.
                "ALTER TABLE files ADD COLUMN password_hash TEXT",
            ]
        ),
    ]

    static func apply(to database: any SQLDatabase) async throws {
        try await database.raw(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)"
        ).run()
        let applied = Set(try await database.raw("SELECT version FROM schema_migrations").all(decodingColumn: "version", as: Int.self))
        for migration in all where !applied.contains(migration.version) {
            try await database.withSession { session in
                try await session.raw("BEGIN").run()
                do {
                    for statement in migration.statements {
                        try await session.raw(SQLQueryString(statement)).run()
                    }
                    try await session.raw(
                        "INSERT INTO schema_migrations (version, applied_at) VALUES (\(bind: migration.version), \(bind: Millis(Date()).value))"
                    ).run()
                    try await session.raw("COMMIT").run()
                } catch {
                    try? await session.raw("ROLLBACK").run()
                    throw error
                }
            }
        }
    }
}
