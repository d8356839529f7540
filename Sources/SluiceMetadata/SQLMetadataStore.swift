import Foundation
import SQLKit
import SluiceCore

/// The ``MetadataStore`` over SQL: one `files` table, every operation a single statement.
///
/// Written against SQLKit so the same queries serve SQLite now and PostgreSQL later; times are
/// stored as integer milliseconds since 1970.
public struct SQLMetadataStore: MetadataStore {
    let database: any SQLDatabase

    /// Uses `database`; call ``migrate()`` before anything else.
    public init(database: any SQLDatabase) {
        self.database = database
    }

    public func migrate() async throws {
        try await SchemaMigrations.apply(to: database)
    }

    public func insertUploading(_ record: FileRecord) async throws {
        try await database.raw(
            """
            INSERT INTO files (id, name, content_type, state, size, delete_token_hash, created_at)
            VALUES (\(bind: record.id.rawValue), \(bind: record.name), \(bind: record.contentType),
                    'uploading', 0, \(bind: record.deleteTokenHash), \(bind: Millis(record.createdAt)))
            """
        ).run()
    }

    public func markComplete(_ record: FileRecord) async throws {
        try await database.raw(
            """
            UPDATE files SET state = 'complete', size = \(bind: record.size), sha256 = \(bind: record.sha256),
                   completed_at = \(bind: record.completedAt.map(Millis.init)),
                   expires_at = \(bind: record.expiresAt.map(Millis.init)), max_downloads = \(bind: record.maxDownloads)
            WHERE id = \(bind: record.id.rawValue) AND state = 'uploading'
            """
        ).run()
    }

    public func find(_ id: FileID) async throws -> FileRecord? {
        try await database.raw("SELECT * FROM files WHERE id = \(bind: id.rawValue)").first().map(FileRow.decode)
    }

    public func remove(_ id: FileID) async throws {
        try await database.raw("DELETE FROM files WHERE id = \(bind: id.rawValue)").run()
    }

    public func markDeleted(_ id: FileID) async throws -> Bool {
        try await database.raw(
            "UPDATE files SET state = 'deleted' WHERE id = \(bind: id.rawValue) AND state = 'complete' RETURNING id"
        ).first() != nil
    }

    public func reserveDownload(_ id: FileID, now: Date) async throws -> Bool {
        try await database.raw(
            """
            UPDATE files SET active_downloads = active_downloads + 1
            WHERE id = \(bind: id.rawValue) AND state = 'complete'
              AND (expires_at IS NULL OR expires_at > \(bind: Millis(now)))
              AND (max_downloads IS NULL OR downloads + active_downloads < max_downloads)
            RETURNING id
            """
        ).first() != nil
    }

    public func releaseDownload(_ id: FileID, completed: Bool) async throws {
        let counted = completed ? 1 : 0
        try await database.raw(
            """
            UPDATE files SET active_downloads = active_downloads - 1, downloads = downloads + \(bind: counted)
            WHERE id = \(bind: id.rawValue) AND active_downloads > 0
            """
        ).run()
    }

    public func sweepable(now: Date, limit: Int) async throws -> [FileRecord] {
        try await database.raw(
            """
            SELECT * FROM files
            WHERE state = 'deleted'
               OR (state = 'complete' AND expires_at IS NOT NULL AND expires_at <= \(bind: Millis(now)))
               OR (state = 'complete' AND max_downloads IS NOT NULL AND downloads >= max_downloads
                   AND active_downloads = 0)
            LIMIT \(bind: limit)
            """
        ).all().map(FileRow.decode)
    }

    public func recoverAfterRestart() async throws -> Int {
        try await database.raw("UPDATE files SET active_downloads = 0 WHERE active_downloads <> 0").run()
        return try await database.raw(
            "UPDATE files SET state = 'deleted' WHERE state = 'uploading' RETURNING id"
        ).all().count
    }

    public func checkHealth() async throws {
        _ = try await database.raw("SELECT 1 AS ok").first()
    }
}

/// A point in time as integer milliseconds since 1970, the form every time column uses.
struct Millis: Encodable, Sendable {
    let value: Int64

    init(_ date: Date) { value = Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    static func date(_ value: Int64) -> Date { Date(timeIntervalSince1970: Double(value) / 1000) }
}
