import Foundation
import SQLKit
import SluiceCore

/// The ``MetadataStore`` over SQL: one `files` table, every operation a single statement.
///
/// A resumable upload's lease (`lease_token`, `lease_until`) is a column pair that only a
/// conditional `UPDATE` can take, so two requests, or two instances, never append at once.
///
/// Written against SQLKit so the same queries serve SQLite and PostgreSQL; times are stored as
/// integer milliseconds since 1970. The `owner` column names the instance running a
/// single-request upload or holding a lease; `instances` holds each instance's last heartbeat.
public struct SQLMetadataStore: MetadataStore {
    let database: any SQLDatabase
    /// This instance's name in `owner` and `instances`.
    let instance: String
    let migrationLock: any MigrationLock
    /// Records kept in memory; only for a database this store alone writes to.
    let records: RecordCache?

    /// Uses `database` as `instance`; call ``migrate()`` before anything else. With `records`,
    /// lookups of complete files are answered from memory: only when no other process writes
    /// to `database`.
    init(database: any SQLDatabase, instance: String, migrationLock: any MigrationLock, records: RecordCache? = nil) {
        self.database = database
        self.instance = instance
        self.migrationLock = migrationLock
        self.records = records
    }

    /// How long a sweep may hold the sweeper's turn before another instance may take it (a
    /// crashed sweeper's turn ends by itself).
    static let sweepTurn: TimeInterval = 600

    public func migrate() async throws {
        try await migrationLock.withLock { try await SchemaMigrations.apply(to: database) }
    }

    /// The sweeper's turn is a row of `job_turns`, taken by a conditional upsert and given back
    /// after the sweep: no connection is held meanwhile, and it works the same on SQLite.
    public func sweepExclusively<T: Sendable>(_ sweep: () async throws -> T) async throws -> T? {
        let now = Date()
        let taken = try await database.raw(
            """
            INSERT INTO job_turns (job, holder, until) VALUES ('sweeper', \(bind: instance), \(bind: Millis(now.addingTimeInterval(Self.sweepTurn))))
            ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, until = excluded.until
            WHERE job_turns.until <= \(bind: Millis(now)) OR job_turns.holder = excluded.holder
            RETURNING holder
            """
        ).first() != nil
        guard taken else { return nil }
        let result: Result<T, any Error>
        do {
            result = .success(try await sweep())
        } catch {
            result = .failure(error)
        }
        try? await database.raw("UPDATE job_turns SET until = 0 WHERE job = 'sweeper' AND holder = \(bind: instance)").run()
        return try result.get()
    }

    public func heartbeat(now: Date) async throws {
        try await database.raw(
            """
            INSERT INTO instances (id, seen_at) VALUES (\(bind: instance), \(bind: Millis(now)))
            ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at
            """
        ).run()
    }

    /// Heartbeats older than this are dead instances'.
    private func deadBefore(_ now: Date) -> Millis { Millis(now.addingTimeInterval(-instanceTimeout)) }

    public func insertUploading(_ record: FileRecord) async throws {
        let resumable = record.resumable
        let insert = compacted(
            """
            INSERT INTO files (id, name, content_type, state, size, delete_token_hash, created_at, expires_at,
                               max_downloads, resumable, upload_length, upload_metadata, max_days, digest_state,
                               blob_state, owner, password_hash)
            VALUES (\(bind: record.id.rawValue), \(bind: record.name), \(bind: record.contentType),
                    'uploading', 0, \(bind: record.deleteTokenHash), \(bind: Millis(record.createdAt)),
                    \(bind: record.expiresAt.map(Millis.init)), \(bind: record.maxDownloads),
                    \(bind: resumable == nil ? 0 : 1), \(bind: resumable?.length), \(bind: resumable?.metadata),
                    \(bind: resumable?.maxDays), \(bind: resumable.map { Hex.encode($0.digestState) }),
                    \(bind: resumable?.blobState), \(bind: resumable == nil ? instance : nil),
                    \(bind: record.passwordHash))
            """
        )
        try await database.raw(insert).run()
    }

    public func markComplete(_ record: FileRecord) async throws {
        _ = try await complete(record, lease: nil)
    }

    public func completeUpload(_ record: FileRecord, lease: String) async throws -> Bool {
        try await complete(record, lease: lease)
    }

    private func complete(_ record: FileRecord, lease: String?) async throws -> Bool {
        defer { records?.forget(record.id) }
        let leaseCondition: SQLQueryString = lease.map { "AND lease_token = \(bind: $0)" } ?? ""
        let update = compacted(
            """
            UPDATE files SET state = 'complete', size = \(bind: record.size), sha256 = \(bind: record.sha256),
                   completed_at = \(bind: record.completedAt.map(Millis.init)),
                   expires_at = \(bind: record.expiresAt.map(Millis.init)), max_downloads = \(bind: record.maxDownloads),
                   password_hash = \(bind: record.passwordHash), digest_state = NULL, blob_state = NULL, lease_token = NULL, lease_until = NULL, owner = NULL
            WHERE id = \(bind: record.id.rawValue) AND state = 'uploading' \(leaseCondition)
            RETURNING id
            """
        )
        return try await database.raw(update).first() != nil
    }

    public func acquireUpload(_ id: FileID, offset: Int64, lease: String, until: Date, now: Date) async throws -> FileRecord? {
        defer { records?.forget(id) }
        return try await database.raw(
            """
            UPDATE files SET lease_token = \(bind: lease), lease_until = \(bind: Millis(until)), owner = \(bind: instance)
            WHERE id = \(bind: id.rawValue) AND state = 'uploading' AND resumable = 1 AND size = \(bind: offset)
              AND (expires_at IS NULL OR expires_at > \(bind: Millis(now)))
              AND (lease_until IS NULL OR lease_until <= \(bind: Millis(now)))
            RETURNING *
            """
        ).first().map(FileRow.decode)
    }

    public func saveProgress(_ record: FileRecord, lease: String, leaseUntil: Date?) async throws -> Bool {
        defer { records?.forget(record.id) }
        let leaseUpdate: SQLQueryString =
            leaseUntil.map { "lease_until = \(bind: Millis($0))" } ?? "lease_token = NULL, lease_until = NULL, owner = NULL"
        return try await database.raw(
            """
            UPDATE files SET size = \(bind: record.size), upload_length = \(bind: record.resumable?.length),
                   digest_state = \(bind: record.resumable.map { Hex.encode($0.digestState) }),
                   blob_state = \(bind: record.resumable?.blobState),
                   expires_at = \(bind: record.expiresAt.map(Millis.init)), \(leaseUpdate)
            WHERE id = \(bind: record.id.rawValue) AND state = 'uploading' AND lease_token = \(bind: lease)
            RETURNING id
            """
        ).first() != nil
    }

    public func releaseUpload(_ id: FileID, lease: String) async throws {
        defer { records?.forget(id) }
        try await database.raw(
            """
            UPDATE files SET lease_token = NULL, lease_until = NULL, owner = NULL
            WHERE id = \(bind: id.rawValue) AND lease_token = \(bind: lease)
            """
        ).run()
    }

    public func abandonUpload(_ id: FileID) async throws -> Bool {
        defer { records?.forget(id) }
        return try await database.raw(
            """
            UPDATE files SET state = 'deleted', lease_token = NULL, lease_until = NULL, owner = NULL
            WHERE id = \(bind: id.rawValue) AND state = 'uploading' AND resumable = 1
            RETURNING id
            """
        ).first() != nil
    }

    public func find(_ id: FileID) async throws -> FileRecord? {
        let (kept, generation) = records?.lookUp(id) ?? (nil, 0)
        if let kept { return kept }
        let record = try await database.raw("SELECT * FROM files WHERE id = \(bind: id.rawValue)").first().map(FileRow.decode)
        if let record { records?.offer(record, readAt: generation) }
        return record
    }

    public func keptRecord(_ id: FileID) -> FileRecord? {
        records?.lookUp(id).record
    }

    public func remove(_ id: FileID) async throws {
        defer { records?.forget(id) }
        try await database.raw("DELETE FROM running_downloads WHERE file_id = \(bind: id.rawValue)").run()
        try await database.raw("DELETE FROM files WHERE id = \(bind: id.rawValue)").run()
    }

    public func markDeleted(_ id: FileID) async throws -> Bool {
        defer { records?.forget(id) }
        return try await database.raw(
            "UPDATE files SET state = 'deleted' WHERE id = \(bind: id.rawValue) AND state = 'complete' RETURNING id"
        ).first() != nil
    }

    /// The slot is taken on the file's row (one conditional `UPDATE`), then entered in
    /// `running_downloads` under this instance, so a restart or a dead instance frees exactly
    /// the slots it held.
    public func reserveDownload(_ id: FileID, now: Date) async throws -> Bool {
        defer { records?.forget(id) }
        let taken = try await database.raw(
            """
            UPDATE files SET active_downloads = active_downloads + 1
            WHERE id = \(bind: id.rawValue) AND state = 'complete'
              AND (expires_at IS NULL OR expires_at > \(bind: Millis(now)))
              AND (max_downloads IS NULL OR downloads + active_downloads < max_downloads)
            RETURNING id
            """
        ).first() != nil
        guard taken else { return false }
        try await database.raw(
            """
            INSERT INTO running_downloads (file_id, instance, slots) VALUES (\(bind: id.rawValue), \(bind: instance), 1)
            ON CONFLICT (file_id, instance) DO UPDATE SET slots = running_downloads.slots + 1
            """
        ).run()
        return true
    }

    /// Only a slot this instance still holds is given back: one freed meanwhile (this instance
    /// was taken for dead) is not given back twice.
    public func releaseDownload(_ id: FileID, completed: Bool) async throws {
        defer { records?.forget(id) }
        let held = try await database.raw(
            """
            UPDATE running_downloads SET slots = slots - 1
            WHERE file_id = \(bind: id.rawValue) AND instance = \(bind: instance) AND slots > 0
            RETURNING slots
            """
        ).first(decodingColumn: "slots", as: Int.self)
        guard let left = held else { return }
        if left == 0 {
            try await database.raw(
                "DELETE FROM running_downloads WHERE file_id = \(bind: id.rawValue) AND instance = \(bind: instance) AND slots = 0"
            ).run()
        }
        let counted = completed ? 1 : 0
        try await database.raw(
            """
            UPDATE files SET active_downloads = active_downloads - 1, downloads = downloads + \(bind: counted)
            WHERE id = \(bind: id.rawValue) AND active_downloads > 0
            """
        ).run()
    }

    public func freeDownloadSlots(ofDeadInstancesAt now: Date) async throws {
        try await freeDownloadSlots(
            held: "SELECT id FROM instances WHERE id <> \(bind: instance) AND seen_at < \(bind: deadBefore(now))")
    }

    /// Gives back the download slots `running_downloads` records for the instances `holders` selects.
    private func freeDownloadSlots(held holders: SQLQueryString) async throws {
        defer { records?.forgetAll() }
        try await database.raw(
            """
            UPDATE files SET active_downloads = active_downloads - (
                SELECT COALESCE(SUM(r.slots), 0) FROM running_downloads r
                WHERE r.file_id = files.id AND r.instance IN (\(holders)))
            WHERE id IN (SELECT file_id FROM running_downloads WHERE instance IN (\(holders)))
            """
        ).run()
        try await database.raw("DELETE FROM running_downloads WHERE instance IN (\(holders))").run()
    }

    public func sweepable(now: Date, limit: Int) async throws -> [FileRecord] {
        try await database.raw(
            """
            SELECT * FROM files
            WHERE state = 'deleted'
               OR (state = 'complete' AND expires_at IS NOT NULL AND expires_at <= \(bind: Millis(now)))
               OR (state = 'complete' AND max_downloads IS NOT NULL AND downloads >= max_downloads
                   AND active_downloads = 0)
               OR (state = 'uploading' AND resumable = 1 AND expires_at IS NOT NULL AND expires_at <= \(bind: Millis(now))
                   AND (lease_until IS NULL OR lease_until <= \(bind: Millis(now))))
               OR (state = 'uploading' AND resumable = 0 AND owner <> \(bind: instance)
                   AND owner IN (SELECT id FROM instances WHERE seen_at < \(bind: deadBefore(now))))
            LIMIT \(bind: limit)
            """
        ).all().map(FileRow.decode)
    }

    public func recoverAfterRestart() async throws -> Int {
        defer { records?.forgetAll() }
        try await freeDownloadSlots(held: "SELECT \(bind: instance)")
        try await database.raw(
            """
            UPDATE files SET lease_token = NULL, lease_until = NULL, owner = NULL
            WHERE resumable = 1 AND owner = \(bind: instance)
            """
        ).run()
        return try await database.raw(
            """
            UPDATE files SET state = 'deleted', owner = NULL
            WHERE state = 'uploading' AND resumable = 0 AND owner = \(bind: instance) RETURNING id
            """
        ).all().count
    }

    public func storedBytes() async throws -> Int64 {
        try await database.raw("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS total FROM files").first()?
            .decode(column: "total", as: Int64.self) ?? 0
    }

    /// Whether the database takes writes (a read alone passes on a database that is locked by
    /// another process or cannot write): on SQLite without committing one (see
    /// ``GroupCommittingDatabase/probeWritable()``), elsewhere a write that changes nothing.
    public func checkHealth() async throws {
        if let grouped = database as? GroupCommittingDatabase {
            try await grouped.probeWritable()
        } else {
            try await database.raw("UPDATE instances SET seen_at = seen_at WHERE id = \(bind: instance)").run()
        }
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

/// `query` in an array of fragments its own size. SQLKit reserves a fragment (40 bytes) per
/// character of an interpolated literal, 10 KiB for the insert of ``SQLMetadataStore``, and a
/// statement holds it while it waits for its group commit: 1000 uploads starting at once held
/// 10 MB so.
private func compacted(_ query: SQLQueryString) -> SQLQueryString {
    var copy = SQLQueryString("")
    copy += query
    return copy
}
