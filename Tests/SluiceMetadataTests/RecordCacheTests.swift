import Testing

import Foundation
import SQLiteNIO
import SluiceCore
@testable import SluiceMetadata

/// The records a SQLite store keeps in memory: used, and never stale after the store's own writes.
@Suite("Records kept in memory")
struct RecordCacheTests {
    typealias Fixture = MetadataFixture

    @Test("a complete file is found from memory: a change behind the store's back is not seen")
    func keptRecordIsUsed() async throws {
        try await Fixture.withStore { store, path in
            let record = try await store.storeComplete()
            #expect(try await store.find(record.id)?.name == "report.pdf")
            // Only this store writes to its SQLite file; a change made around it shows that
            // the second lookup did not ask the database.
            try await Fixture.rawSQL(path: path, "UPDATE files SET name = 'changed.pdf' WHERE id = ?", [.text(record.id.rawValue)])
            #expect(try await store.find(record.id)?.name == "report.pdf")
        }
    }

    @Test("after a delete or a removal the kept record is gone")
    func deleteAndRemoveForget() async throws {
        try await Fixture.withStore { store, _ in
            let deleted = try await store.storeComplete()
            #expect(try await store.find(deleted.id)?.state == .complete)
            #expect(try await store.markDeleted(deleted.id))
            #expect(try await store.find(deleted.id)?.state == .deleted)

            let removed = try await store.storeComplete()
            #expect(try await store.find(removed.id) != nil)
            try await store.remove(removed.id)
            #expect(try await store.find(removed.id) == nil)
        }
    }

    @Test("files with a download limit and unfinished uploads are read from the database every time")
    func changingRecordsAreNotKept() async throws {
        try await Fixture.withStore { store, path in
            let limited = try await store.storeComplete(maxDownloads: 2)
            #expect(try await store.find(limited.id)?.activeDownloads == 0)
            #expect(try await store.reserveDownload(limited.id, now: Fixture.epoch))
            #expect(try await store.find(limited.id)?.activeDownloads == 1)
            try await store.releaseDownload(limited.id, completed: true)
            let after = try #require(try await store.find(limited.id))
            #expect(after.activeDownloads == 0)
            #expect(after.downloads == 1)

            let uploading = Fixture.uploadingRecord()
            try await store.insertUploading(uploading)
            #expect(try await store.find(uploading.id)?.state == .uploading)
            try await Fixture.rawSQL(path: path, "UPDATE files SET name = 'seen.pdf' WHERE id = ?", [.text(uploading.id.rawValue)])
            #expect(try await store.find(uploading.id)?.name == "seen.pdf")
            try await store.markComplete(Fixture.completed(uploading))
            #expect(try await store.find(uploading.id)?.state == .complete)
        }
    }

    @Test("a record read before a write and offered after it is dropped")
    func offerAfterForgetIsDropped() {
        let cache = RecordCache(capacity: 10)
        let record = Fixture.completed(Fixture.uploadingRecord())
        let (missed, generation) = cache.lookUp(record.id)
        #expect(missed == nil)
        cache.forget(FileID.random())  // a write to any row meanwhile
        cache.offer(record, readAt: generation)
        #expect(cache.lookUp(record.id).record == nil)

        let (_, now) = cache.lookUp(record.id)
        cache.offer(record, readAt: now)
        #expect(cache.lookUp(record.id).record == record)
        cache.forgetAll()
        #expect(cache.lookUp(record.id).record == nil)
    }

    @Test("at most capacity records are kept")
    func capacityBound() {
        let cache = RecordCache(capacity: 3)
        let records = (0..<10).map { _ in Fixture.completed(Fixture.uploadingRecord()) }
        for record in records {
            cache.offer(record, readAt: cache.lookUp(record.id).generation)
        }
        let kept = records.filter { cache.lookUp($0.id).record != nil }
        #expect(kept.count == 3)
        #expect(kept.contains(records[9]))
    }
}
