import Testing

import Foundation
import SQLiteNIO
import SluiceCore
import SluiceMetadata

/// `sweepable` and `recoverAfterRestart` of `SQLMetadataStore` on a real SQLite file.
@Suite("SQLMetadataStore sweeping and recovery")
struct SweepAndRecoveryTests {
    typealias Fixture = MetadataFixture

    static let now = Fixture.date(milliseconds: 1_800_086_400_123)  // a day after the epoch

    @Test("sweepable returns deleted, expired and idle used-up records, nothing else")
    func sweepableSelection() async throws {
        try await Fixture.withStore { store, path in
            let deleted = try await store.storeDeleted()
            let expired = try await store.storeComplete(expiresAt: Self.now.addingTimeInterval(-1))
            let expiresNow = try await store.storeComplete(expiresAt: Self.now)
            let usedUp = try await store.storeComplete(maxDownloads: 1)
            #expect(try await store.reserveDownload(usedUp.id, now: Fixture.epoch))
            try await store.releaseDownload(usedUp.id, completed: true)

            // Used up while a download of it still runs: the store's own API never reaches
            // this (a reservation needs a free slot), so it is written directly.
            let usedUpButActive = try await store.storeComplete(maxDownloads: 1)
            try await Fixture.rawSQL(
                path: path, "UPDATE files SET downloads = 1, active_downloads = 1 WHERE id = ?",
                [.text(usedUpButActive.id.rawValue)])
            try await Fixture.rawSQL(
                path: path, "INSERT INTO running_downloads (file_id, instance, slots) VALUES (?, 'local', 1)",
                [.text(usedUpButActive.id.rawValue)])
            let uploading = Fixture.uploadingRecord(createdAt: Fixture.epoch.addingTimeInterval(-30 * 86_400))
            try await store.insertUploading(uploading)
            let live = try await store.storeComplete(expiresAt: Self.now.addingTimeInterval(3600), maxDownloads: 3)
            #expect(try await store.reserveDownload(live.id, now: Fixture.epoch))
            try await store.releaseDownload(live.id, completed: true)
            let busy = try await store.storeComplete(maxDownloads: 2)
            #expect(try await store.reserveDownload(busy.id, now: Fixture.epoch))
            #expect(try await store.reserveDownload(busy.id, now: Fixture.epoch))
            let unlimited = try await store.storeComplete()

            let swept = try await store.sweepable(now: Self.now, limit: 100)
            #expect(swept.count == 4)
            #expect(Set(swept.map(\.id)) == [deleted.id, expired.id, expiresNow.id, usedUp.id])
            for excluded in [usedUpButActive.id, uploading.id, live.id, busy.id, unlimited.id] {
                #expect(!swept.contains { $0.id == excluded })
            }
            #expect(swept.first { $0.id == deleted.id }?.state == .deleted)
            #expect(swept.first { $0.id == usedUp.id }?.downloads == 1)
            #expect(swept.first { $0.id == expired.id }?.state == .complete)

            // Once its last download ends, the used-up record is due too.
            try await store.releaseDownload(usedUpButActive.id, completed: false)
            let later = try await store.sweepable(now: Self.now, limit: 100)
            #expect(Set(later.map(\.id)) == [deleted.id, expired.id, expiresNow.id, usedUp.id, usedUpButActive.id])
        }
    }

    @Test("records not yet expired are not sweepable before their time")
    func expiryIsMeasuredAtNow() async throws {
        try await Fixture.withStore { store, _ in
            let record = try await store.storeComplete(expiresAt: Self.now)
            #expect(try await store.sweepable(now: Self.now.addingTimeInterval(-0.001), limit: 10).isEmpty)
            #expect(try await store.sweepable(now: Self.now, limit: 10).map(\.id) == [record.id])
        }
    }

    @Test("sweepable returns at most limit records", arguments: [0, 1, 3, 7, 100])
    func sweepableLimit(limit: Int) async throws {
        try await Fixture.withStore { store, _ in
            var deleted: Set<FileID> = []
            for _ in 0..<7 {
                deleted.insert(try await store.storeDeleted().id)
            }
            try await store.storeComplete()
            let swept = try await store.sweepable(now: Self.now, limit: limit)
            #expect(swept.count == min(limit, 7))
            #expect(Set(swept.map(\.id)).count == swept.count)
            #expect(Set(swept.map(\.id)).isSubset(of: deleted))
        }
    }

    @Test("recoverAfterRestart frees download slots and abandons interrupted uploads")
    func recoverAfterRestart() async throws {
        try await Fixture.withDatabasePath { path in
            // The previous process: two uploads in flight and downloads running.
            let (firstUpload, secondUpload, limited, unlimited, deleted) = try await Fixture.withOpenStore(path: path) {
                store in
                let firstUpload = Fixture.uploadingRecord()
                let secondUpload = Fixture.uploadingRecord()
                try await store.insertUploading(firstUpload)
                try await store.insertUploading(secondUpload)
                let limited = try await store.storeComplete(maxDownloads: 3)
                #expect(try await store.reserveDownload(limited.id, now: Fixture.epoch))
                try await store.releaseDownload(limited.id, completed: true)
                #expect(try await store.reserveDownload(limited.id, now: Fixture.epoch))
                #expect(try await store.reserveDownload(limited.id, now: Fixture.epoch))
                #expect(try await store.reserveDownload(limited.id, now: Fixture.epoch) == false)
                let unlimited = try await store.storeComplete()
                for _ in 0..<4 {
                    #expect(try await store.reserveDownload(unlimited.id, now: Fixture.epoch))
                }
                let deleted = try await store.storeDeleted()
                return (firstUpload, secondUpload, limited, unlimited, deleted)
            }

            // The new process.
            try await Fixture.withOpenStore(path: path) { store in
                #expect(try await store.recoverAfterRestart() == 2)

                for upload in [firstUpload, secondUpload] {
                    #expect(try await store.find(upload.id)?.state == .deleted)
                }
                let recoveredLimited = try #require(try await store.find(limited.id))
                #expect(recoveredLimited.state == .complete)
                #expect(recoveredLimited.activeDownloads == 0)
                #expect(recoveredLimited.downloads == 1)
                let recoveredUnlimited = try #require(try await store.find(unlimited.id))
                #expect(recoveredUnlimited.state == .complete)
                #expect(recoveredUnlimited.activeDownloads == 0)
                #expect(try await store.find(deleted.id)?.state == .deleted)

                // The freed slots can be taken again, up to the limit.
                #expect(try await store.reserveDownload(limited.id, now: Fixture.epoch))
                #expect(try await store.reserveDownload(limited.id, now: Fixture.epoch))
                #expect(try await store.reserveDownload(limited.id, now: Fixture.epoch) == false)

                // The abandoned uploads are now the sweeper's.
                let swept = Set(try await store.sweepable(now: Fixture.epoch, limit: 100).map(\.id))
                #expect(swept == [firstUpload.id, secondUpload.id, deleted.id])

                #expect(try await store.recoverAfterRestart() == 0)
            }
        }
    }

    @Test("recoverAfterRestart on a database with nothing to recover returns 0")
    func recoverNothing() async throws {
        try await Fixture.withStore { store, _ in
            #expect(try await store.recoverAfterRestart() == 0)
            let record = try await store.storeComplete(maxDownloads: 1)
            #expect(try await store.recoverAfterRestart() == 0)
            #expect(try await store.find(record.id)?.state == .complete)
        }
    }
}
