import Testing

import Foundation
import SQLKit
import SluiceCore
@testable import SluiceMetadata

/// `SQLMetadataStore` on a real PostgreSQL server, as several instances share it: migrations
/// started together, leases, recovery scoped to one instance, dead instances, and one sweeper
/// at a time. The rest of the store's behaviour runs against PostgreSQL through the whole API
/// suite (`scripts/test` with `SLUICE_TEST_BACKEND=postgres-s3`).
@Suite("PostgreSQL metadata", .enabled(if: PostgresFixture.isConfigured, PostgresFixture.skipReason))
struct PostgresMetadataTests {
    typealias Fixture = MetadataFixture

    @Test("four instances starting together apply each migration exactly once")
    func concurrentMigrations() async throws {
        try await PostgresFixture.withSchema { url in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for instance in 0..<4 {
                    group.addTask {
                        try await PostgresFixture.withStore(url: url, instance: "i\(instance)") { _ in }
                    }
                }
                try await group.waitForAll()
            }
            try await PostgresFixture.withStore(url: url) { store in
                let versions = try await store.database.raw("SELECT version FROM schema_migrations ORDER BY version")
                    .all(decodingColumn: "version", as: Int.self)
                #expect(versions == SchemaMigrations.all.map(\.version))
            }
        }
    }

    @Test("a record round-trips with every column, resumable state and blob state included")
    func roundTrip() async throws {
        try await PostgresFixture.withSchema { url in
            try await PostgresFixture.withStore(url: url) { store in
                var resumable = Fixture.uploadingRecord(name: "Отчёт 2026.pdf")
                resumable.expiresAt = Fixture.epoch.addingTimeInterval(86_400)
                resumable.maxDownloads = 3
                resumable.resumable = ResumableState(
                    length: 5_000_000_123, metadata: "filename cmVwb3J0", maxDays: 2.5,
                    digestState: ResumableSHA256().serialized, blobState: #"{"upload":"abc"}"#)
                try await store.insertUploading(resumable)
                #expect(try await store.find(resumable.id) == resumable)

                let complete = try await store.storeComplete(expiresAt: Fixture.epoch, maxDownloads: 2, size: 1 << 40)
                #expect(try await store.find(complete.id) == complete)
            }
        }
    }

    @Test("a lease taken by one instance shuts out the other until it is given up")
    func leaseAcrossInstances() async throws {
        try await PostgresFixture.withSchema { url in
            try await PostgresFixture.withTwoStores(url: url) { a, b in
                let record = Self.resumableRecord()
                try await a.insertUploading(record)
                let until = Fixture.epoch.addingTimeInterval(60)
                #expect(try await a.acquireUpload(record.id, offset: 0, lease: "la", until: until, now: Fixture.epoch) != nil)
                #expect(try await b.acquireUpload(record.id, offset: 0, lease: "lb", until: until, now: Fixture.epoch) == nil)
                try await a.releaseUpload(record.id, lease: "la")
                #expect(try await b.acquireUpload(record.id, offset: 0, lease: "lb", until: until, now: Fixture.epoch) != nil)
            }
        }
    }

    @Test("a restarted instance recovers its own uploads and leases, not another instance's")
    func recoveryIsPerInstance() async throws {
        try await PostgresFixture.withSchema { url in
            try await PostgresFixture.withTwoStores(url: url) { a, b in
                try await a.heartbeat(now: Fixture.epoch)
                try await b.heartbeat(now: Fixture.epoch)
                let ownUpload = Fixture.uploadingRecord()
                let otherUpload = Fixture.uploadingRecord()
                try await a.insertUploading(ownUpload)
                try await b.insertUploading(otherUpload)
                let ownResumable = Self.resumableRecord()
                let otherResumable = Self.resumableRecord()
                try await a.insertUploading(ownResumable)
                try await a.insertUploading(otherResumable)
                let until = Fixture.epoch.addingTimeInterval(60)
                _ = try await a.acquireUpload(ownResumable.id, offset: 0, lease: "la", until: until, now: Fixture.epoch)
                _ = try await b.acquireUpload(otherResumable.id, offset: 0, lease: "lb", until: until, now: Fixture.epoch)
                let limited = try await a.storeComplete(maxDownloads: 1)
                #expect(try await b.reserveDownload(limited.id, now: Fixture.epoch))
                let ownLimited = try await a.storeComplete(maxDownloads: 1)
                #expect(try await a.reserveDownload(ownLimited.id, now: Fixture.epoch))

                #expect(try await a.recoverAfterRestart() == 1)
                #expect(try await a.find(ownUpload.id)?.state == .deleted)
                #expect(try await a.find(otherUpload.id)?.state == .uploading)
                // a's lease is free again; b's still holds.
                #expect(try await b.acquireUpload(ownResumable.id, offset: 0, lease: "x", until: until, now: Fixture.epoch) != nil)
                #expect(try await a.acquireUpload(otherResumable.id, offset: 0, lease: "y", until: until, now: Fixture.epoch) == nil)
                // a's download slot is free again; b's running download keeps its own.
                #expect(try await a.find(ownLimited.id)?.activeDownloads == 0)
                #expect(try await a.find(limited.id)?.activeDownloads == 1)
            }
        }
    }

    @Test("the single-request uploads of an instance silent for five minutes become sweepable")
    func deadInstanceUploads() async throws {
        try await PostgresFixture.withSchema { url in
            try await PostgresFixture.withTwoStores(url: url) { a, b in
                try await b.heartbeat(now: Fixture.epoch)
                let upload = Fixture.uploadingRecord()
                try await b.insertUploading(upload)
                let ownUpload = Fixture.uploadingRecord()
                try await a.insertUploading(ownUpload)

                let soon = Fixture.epoch.addingTimeInterval(a.instanceTimeout - 1)
                #expect(try await a.sweepable(now: soon, limit: 10).isEmpty)
                let later = Fixture.epoch.addingTimeInterval(a.instanceTimeout + 1)
                #expect(try await a.sweepable(now: later, limit: 10).map(\.id) == [upload.id])
                // A heartbeat brings b back to life.
                try await b.heartbeat(now: later)
                #expect(try await a.sweepable(now: later, limit: 10).isEmpty)
            }
        }
    }

    @Test("the download slots of an instance silent for five minutes are freed, not before")
    func deadInstanceDownloadSlots() async throws {
        try await PostgresFixture.withSchema { url in
            try await PostgresFixture.withTwoStores(url: url) { a, b in
                try await b.heartbeat(now: Fixture.epoch)
                let limited = try await a.storeComplete(maxDownloads: 2)
                #expect(try await b.reserveDownload(limited.id, now: Fixture.epoch))
                #expect(try await b.reserveDownload(limited.id, now: Fixture.epoch))
                #expect(try await a.reserveDownload(limited.id, now: Fixture.epoch) == false)

                try await a.freeDownloadSlots(ofDeadInstancesAt: Fixture.epoch.addingTimeInterval(a.instanceTimeout - 1))
                #expect(try await a.find(limited.id)?.activeDownloads == 2)
                try await a.freeDownloadSlots(ofDeadInstancesAt: Fixture.epoch.addingTimeInterval(a.instanceTimeout + 1))
                #expect(try await a.find(limited.id)?.activeDownloads == 0)
                #expect(try await a.reserveDownload(limited.id, now: Fixture.epoch))
                // A late release from b does not free a's slot.
                try await b.releaseDownload(limited.id, completed: false)
                #expect(try await a.find(limited.id)?.activeDownloads == 1)
            }
        }
    }

    @Test("only one instance sweeps at a time; the other skips its round")
    func oneSweeperAtATime() async throws {
        try await PostgresFixture.withSchema { url in
            try await PostgresFixture.withTwoStores(url: url) { a, b in
                let inner = try await a.sweepExclusively { () async throws -> Int? in
                    try await b.sweepExclusively { 1 }
                }
                #expect(inner == .some(nil))
                #expect(try await b.sweepExclusively { 2 } == 2)
                // A failing sweep lets go of the lock too.
                await #expect(throws: FixtureError.self) {
                    try await a.sweepExclusively { () async throws -> Int in throw FixtureError("sweep failed") }
                }
                #expect(try await b.sweepExclusively { 3 } == 3)
            }
        }
    }

    @Test("a malformed database URL is refused without showing the password")
    func malformedURL() {
        for text in ["postgres://", "postgres://host/db", "postgres://u:secret@h/db?sslmode=maybe"] {
            #expect {
                _ = try PostgresURL.configuration(text)
            } throws: { error in
                "\(error)".contains("invalid database URL") && !"\(error)".contains("secret")
            }
        }
    }

    static func resumableRecord() -> FileRecord {
        var record = Fixture.uploadingRecord()
        record.expiresAt = Fixture.epoch.addingTimeInterval(3600)
        record.resumable = ResumableState(
            length: 100, metadata: "", maxDays: nil, digestState: ResumableSHA256().serialized)
        return record
    }
}
