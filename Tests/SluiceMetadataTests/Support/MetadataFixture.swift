import Foundation
import Logging
import SQLiteNIO
import SluiceCore
import SluiceMetadata

/// Real SQLite databases in fresh temporary directories, opened the way the server opens them.
enum MetadataFixture {
    static let logger: Logger = {
        var logger = Logger(label: "sluice.tests.metadata")
        logger.logLevel = .warning
        return logger
    }()

    /// A fixed instant, exact to the millisecond, that every test measures time from.
    static let epoch = date(milliseconds: 1_800_000_000_123)

    /// The instant `milliseconds` after 1970, built the way the store decodes a time column.
    static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// Runs `body` with the path of a database file that does not exist yet, in a fresh
    /// temporary directory that is removed afterwards.
    static func withDatabasePath<T>(_ body: (String) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-metadata-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory.appendingPathComponent("sluice.sqlite").path)
    }

    /// Opens the database at `path` with `SQLiteMetadata.open`, runs `body`, and closes it.
    static func withOpenStore<T>(path: String, _ body: (SQLMetadataStore) async throws -> T) async throws -> T {
        let metadata = try await SQLiteMetadata.open(path: path, logger: logger)
        do {
            let result = try await body(metadata.store)
            try await metadata.close()
            return result
        } catch {
            try? await metadata.close()
            throw error
        }
    }

    /// A store on a new database file, and that file's path.
    static func withStore<T>(_ body: (SQLMetadataStore, String) async throws -> T) async throws -> T {
        try await withDatabasePath { path in
            try await withOpenStore(path: path) { store in try await body(store, path) }
        }
    }

    /// Runs one statement on a second, independent connection to the database file at `path`:
    /// to look at what is really stored, or to set up a state the store's API cannot reach.
    @discardableResult
    static func rawSQL(path: String, _ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            let rows = try await connection.query(sql, binds)
            try await connection.close()
            return rows
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// A new uploading record, as the upload pipeline makes it.
    static func uploadingRecord(
        id: FileID = .random(), name: String = "report.pdf", contentType: String = "application/pdf",
        createdAt: Date = epoch
    ) -> FileRecord {
        FileRecord(
            id: id, name: name, contentType: contentType, state: .uploading, size: 0, sha256: nil,
            deleteTokenHash: DeleteToken.random().hash, createdAt: createdAt, completedAt: nil, expiresAt: nil,
            maxDownloads: nil, downloads: 0, activeDownloads: 0
        )
    }

    /// `record` as the upload pipeline hands it to `markComplete`.
    static func completed(
        _ record: FileRecord, size: Int64 = 1234, sha256: String = String(repeating: "ab", count: 32),
        completedAt: Date = date(milliseconds: 1_800_000_002_623), expiresAt: Date? = nil, maxDownloads: Int? = nil
    ) -> FileRecord {
        var record = record
        record.state = .complete
        record.size = size
        record.sha256 = sha256
        record.completedAt = completedAt
        record.expiresAt = expiresAt
        record.maxDownloads = maxDownloads
        return record
    }

    /// Milliseconds since 1970, rounded to the nearest, the unit every time column holds.
    static func millis(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}

extension SQLMetadataStore {
    /// Inserts a new record and completes it with the given limits; returns what was stored.
    @discardableResult
    func storeComplete(
        expiresAt: Date? = nil, maxDownloads: Int? = nil, size: Int64 = 1234
    ) async throws -> FileRecord {
        let uploading = MetadataFixture.uploadingRecord()
        try await insertUploading(uploading)
        let complete = MetadataFixture.completed(
            uploading, size: size, expiresAt: expiresAt, maxDownloads: maxDownloads)
        try await markComplete(complete)
        return complete
    }

    /// Inserts a complete record and marks it deleted.
    @discardableResult
    func storeDeleted() async throws -> FileRecord {
        let record = try await storeComplete()
        guard try await markDeleted(record.id) else { throw FixtureError("markDeleted refused a complete record") }
        return record
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
