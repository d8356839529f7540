import Testing

import Foundation
import SQLiteNIO
import SluiceCore
import SluiceMetadata

/// The record life cycle of `SQLMetadataStore` on a real SQLite file.
@Suite("SQLMetadataStore records")
struct SQLMetadataStoreTests {
    typealias Fixture = MetadataFixture

    @Test("migrating again, in the same process and after reopening the file, is harmless")
    func migrateTwice() async throws {
        try await Fixture.withDatabasePath { path in
            let record = try await Fixture.withOpenStore(path: path) { store in
                let record = try await store.storeComplete(maxDownloads: 3)
                try await store.migrate()
                try await store.migrate()
                return record
            }
            try await Fixture.withOpenStore(path: path) { store in
                try await store.migrate()
                let found = try #require(try await store.find(record.id))
                #expect(found.state == .complete)
                #expect(found.maxDownloads == 3)
                // The reopened schema still takes new records.
                let other = Fixture.uploadingRecord()
                try await store.insertUploading(other)
                #expect(try await store.find(other.id)?.state == .uploading)
            }
            let versions = try await Fixture.rawSQL(path: path, "SELECT version FROM schema_migrations ORDER BY version")
            #expect(versions.compactMap { $0.column("version")?.integer } == [1, 2, 3, 4])
            let files = try await Fixture.rawSQL(path: path, "SELECT COUNT(*) AS n FROM files")
            #expect(files.first?.column("n")?.integer == 2)
        }
    }

    @Test("an inserted upload is found in state uploading with its fields")
    func insertUploadingThenFind() async throws {
        try await Fixture.withStore { store, _ in
            let record = Fixture.uploadingRecord(name: "holiday photo.jpg", contentType: "image/jpeg")
            try await store.insertUploading(record)

            let found = try #require(try await store.find(record.id))
            #expect(found.id == record.id)
            #expect(found.state == .uploading)
            #expect(found.name == "holiday photo.jpg")
            #expect(found.contentType == "image/jpeg")
            #expect(found.deleteTokenHash == record.deleteTokenHash)
            #expect(Fixture.millis(found.createdAt) == Fixture.millis(Fixture.epoch))
            #expect(found.size == 0)
            #expect(found.sha256 == nil)
            #expect(found.completedAt == nil)
            #expect(found.expiresAt == nil)
            #expect(found.maxDownloads == nil)
            #expect(found.downloads == 0)
            #expect(found.activeDownloads == 0)
            #expect(found.unavailability(at: Fixture.epoch) == .notFound)
        }
    }

    @Test("find of an unknown id is nil")
    func findUnknown() async throws {
        try await Fixture.withStore { store, _ in
            try await store.storeComplete()
            #expect(try await store.find(.random()) == nil)
        }
    }

    @Test("inserting the same id twice fails and keeps the first record")
    func duplicateInsert() async throws {
        try await Fixture.withStore { store, _ in
            let first = Fixture.uploadingRecord(name: "first")
            try await store.insertUploading(first)
            var second = Fixture.uploadingRecord(id: first.id, name: "second")
            second.deleteTokenHash = DeleteToken.random().hash
            await #expect(throws: (any Error).self) { try await store.insertUploading(second) }
            #expect(try await store.find(first.id)?.name == "first")
        }
    }

    @Test("markComplete stores exactly the final fields")
    func markCompleteRoundTrip() async throws {
        try await Fixture.withStore { store, _ in
            let uploading = Fixture.uploadingRecord(name: "données.tar.gz", contentType: "application/gzip")
            try await store.insertUploading(uploading)
            let sha = DeleteToken.random().hash  // any 64-hex-digit text
            let complete = Fixture.completed(
                uploading, size: 5_000_000_123, sha256: sha,
                completedAt: Fixture.date(milliseconds: 1_800_000_012_468),
                expiresAt: Fixture.date(milliseconds: 1_800_604_800_623), maxDownloads: 7)
            try await store.markComplete(complete)

            let found = try #require(try await store.find(uploading.id))
            #expect(found.id == uploading.id)
            #expect(found.state == .complete)
            #expect(found.name == "données.tar.gz")
            #expect(found.contentType == "application/gzip")
            #expect(found.size == 5_000_000_123)
            #expect(found.sha256 == sha)
            #expect(found.deleteTokenHash == uploading.deleteTokenHash)
            #expect(Fixture.millis(found.createdAt) == 1_800_000_000_123)
            #expect(found.completedAt.map(Fixture.millis) == 1_800_000_012_468)
            #expect(found.expiresAt.map(Fixture.millis) == 1_800_604_800_623)
            #expect(found.maxDownloads == 7)
            #expect(found.downloads == 0)
            #expect(found.activeDownloads == 0)
            #expect(found.unavailability(at: Fixture.epoch.addingTimeInterval(13)) == nil)
        }
    }

    @Test("markComplete without limits stores no expiry and no download limit")
    func markCompleteUnlimited() async throws {
        try await Fixture.withStore { store, _ in
            let record = try await store.storeComplete(expiresAt: nil, maxDownloads: nil, size: 0)
            let found = try #require(try await store.find(record.id))
            #expect(found.state == .complete)
            #expect(found.size == 0)
            #expect(found.expiresAt == nil)
            #expect(found.maxDownloads == nil)
            #expect(found.downloadsLeft == nil)
            #expect(found.completedAt.map(Fixture.millis) == record.completedAt.map(Fixture.millis))
        }
    }

    @Test("markComplete does not bring back a deleted record")
    func markCompleteOnlyCompletesUploads() async throws {
        try await Fixture.withStore { store, _ in
            let deleted = try await store.storeDeleted()
            var again = deleted
            again.size = 99
            try await store.markComplete(again)
            let found = try #require(try await store.find(deleted.id))
            #expect(found.state == .deleted)
            #expect(found.size == deleted.size)
        }
    }

    @Test("millisecond-exact times round-trip to the same millisecond", arguments: [
        Int64(1_800_000_000_123),
        // Instants after 2038-01-19 (2^31 s), stored in the expires_at/completed_at columns.
        2_147_483_664_811,
        2_184_490_404_549,
    ])
    func millisecondTimesRoundTrip(milliseconds: Int64) async throws {
        try await Fixture.withStore { store, path in
            let instant = Fixture.date(milliseconds: milliseconds)
            let uploading = Fixture.uploadingRecord(createdAt: instant)
            try await store.insertUploading(uploading)
            try await store.markComplete(
                Fixture.completed(uploading, completedAt: instant, expiresAt: instant))

            let rows = try await Fixture.rawSQL(
                path: path, "SELECT created_at, completed_at, expires_at FROM files WHERE id = ?",
                [.text(uploading.id.rawValue)])
            let row = try #require(rows.first)
            #expect(row.column("created_at")?.integer.map(Int64.init) == milliseconds)
            #expect(row.column("completed_at")?.integer.map(Int64.init) == milliseconds)
            #expect(row.column("expires_at")?.integer.map(Int64.init) == milliseconds)

            let found = try #require(try await store.find(uploading.id))
            #expect(Fixture.millis(found.createdAt) == milliseconds)
            #expect(found.expiresAt.map(Fixture.millis) == milliseconds)
        }
    }

    @Test("remove deletes a record in any state and nothing else")
    func remove() async throws {
        try await Fixture.withStore { store, _ in
            let uploading = Fixture.uploadingRecord()
            try await store.insertUploading(uploading)
            let complete = try await store.storeComplete()
            let deleted = try await store.storeDeleted()
            let kept = try await store.storeComplete()

            for id in [uploading.id, complete.id, deleted.id] {
                try await store.remove(id)
                #expect(try await store.find(id) == nil)
            }
            try await store.remove(.random())
            try await store.remove(complete.id)
            #expect(try await store.find(kept.id)?.state == .complete)
        }
    }

    @Test("markDeleted flips a complete record once and keeps its fields")
    func markDeletedComplete() async throws {
        try await Fixture.withStore { store, _ in
            let record = try await store.storeComplete(maxDownloads: 2)
            #expect(try await store.markDeleted(record.id))
            let found = try #require(try await store.find(record.id))
            #expect(found.state == .deleted)
            #expect(found.size == record.size)
            #expect(found.sha256 == record.sha256)
            #expect(found.maxDownloads == 2)
            #expect(found.unavailability(at: Fixture.epoch) == .deleted)
            #expect(try await store.markDeleted(record.id) == false)
            #expect(try await store.find(record.id)?.state == .deleted)
        }
    }

    @Test("markDeleted refuses uploading and unknown records")
    func markDeletedOnlyComplete() async throws {
        try await Fixture.withStore { store, _ in
            let uploading = Fixture.uploadingRecord()
            try await store.insertUploading(uploading)
            #expect(try await store.markDeleted(uploading.id) == false)
            #expect(try await store.find(uploading.id)?.state == .uploading)

            let unknown = FileID.random()
            #expect(try await store.markDeleted(unknown) == false)
            #expect(try await store.find(unknown) == nil)
        }
    }

    @Test("checkHealth passes on an open database")
    func checkHealth() async throws {
        try await Fixture.withStore { store, _ in
            try await store.checkHealth()
            try await store.storeComplete()
            try await store.checkHealth()
        }
    }
}
