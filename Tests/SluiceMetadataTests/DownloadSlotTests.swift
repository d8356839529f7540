import Testing

import Foundation
import SluiceCore
import SluiceMetadata

/// `reserveDownload` / `releaseDownload` of `SQLMetadataStore` on a real SQLite file.
@Suite("SQLMetadataStore download slots")
struct DownloadSlotTests {
    typealias Fixture = MetadataFixture

    static let now = Fixture.epoch.addingTimeInterval(60)

    @Test("with maxDownloads N at most N reservations are held at once", arguments: [1, 2, 5])
    func heldReservationsAreBounded(limit: Int) async throws {
        try await Fixture.withStore { store, _ in
            let record = try await store.storeComplete(maxDownloads: limit)
            for _ in 0..<limit {
                #expect(try await store.reserveDownload(record.id, now: Self.now))
            }
            #expect(try await store.reserveDownload(record.id, now: Self.now) == false)
            #expect(try await store.reserveDownload(record.id, now: Self.now) == false)
            let found = try #require(try await store.find(record.id))
            #expect(found.activeDownloads == limit)
            #expect(found.downloads == 0)
        }
    }

    @Test("releasing an incomplete download gives its slot back without counting it")
    func incompleteReleaseReturnsSlot() async throws {
        try await Fixture.withStore { store, _ in
            let record = try await store.storeComplete(maxDownloads: 2)
            #expect(try await store.reserveDownload(record.id, now: Self.now))
            #expect(try await store.reserveDownload(record.id, now: Self.now))
            #expect(try await store.reserveDownload(record.id, now: Self.now) == false)

            try await store.releaseDownload(record.id, completed: false)
            var found = try #require(try await store.find(record.id))
            #expect(found.activeDownloads == 1)
            #expect(found.downloads == 0)

            #expect(try await store.reserveDownload(record.id, now: Self.now))
            #expect(try await store.reserveDownload(record.id, now: Self.now) == false)

            try await store.releaseDownload(record.id, completed: false)
            try await store.releaseDownload(record.id, completed: false)
            found = try #require(try await store.find(record.id))
            #expect(found.activeDownloads == 0)
            #expect(found.downloads == 0)
            #expect(found.unavailability(at: Self.now) == nil)
        }
    }

    @Test("completed downloads are counted and use the link up", arguments: [1, 3])
    func completedDownloadsUseTheLinkUp(limit: Int) async throws {
        try await Fixture.withStore { store, _ in
            let record = try await store.storeComplete(maxDownloads: limit)
            for served in 1...limit {
                #expect(try await store.reserveDownload(record.id, now: Self.now))
                try await store.releaseDownload(record.id, completed: true)
                let found = try #require(try await store.find(record.id))
                #expect(found.downloads == served)
                #expect(found.activeDownloads == 0)
                #expect(found.downloadsLeft == limit - served)
            }
            #expect(try await store.reserveDownload(record.id, now: Self.now) == false)
            let found = try #require(try await store.find(record.id))
            #expect(found.downloads == limit)
            #expect(found.activeDownloads == 0)
            #expect(found.unavailability(at: Self.now) == .usedUp)
        }
    }

    @Test("a completed and a running download together fill a limit of two")
    func completedAndRunningShareTheLimit() async throws {
        try await Fixture.withStore { store, _ in
            let record = try await store.storeComplete(maxDownloads: 2)
            #expect(try await store.reserveDownload(record.id, now: Self.now))
            try await store.releaseDownload(record.id, completed: true)
            #expect(try await store.reserveDownload(record.id, now: Self.now))
            #expect(try await store.reserveDownload(record.id, now: Self.now) == false)
            try await store.releaseDownload(record.id, completed: false)
            #expect(try await store.reserveDownload(record.id, now: Self.now))
        }
    }

    @Test("a release without a reservation changes nothing")
    func releaseWithoutReservation() async throws {
        try await Fixture.withStore { store, _ in
            let record = try await store.storeComplete(maxDownloads: 1)
            try await store.releaseDownload(record.id, completed: true)
            try await store.releaseDownload(record.id, completed: false)
            let found = try #require(try await store.find(record.id))
            #expect(found.downloads == 0)
            #expect(found.activeDownloads == 0)
            #expect(try await store.reserveDownload(record.id, now: Self.now))
            #expect(try await store.reserveDownload(record.id, now: Self.now) == false)
            try await store.releaseDownload(.random(), completed: true)
        }
    }

    @Test("without maxDownloads every reservation is granted")
    func unlimited() async throws {
        try await Fixture.withStore { store, _ in
            let record = try await store.storeComplete(maxDownloads: nil)
            for _ in 0..<20 {
                #expect(try await store.reserveDownload(record.id, now: Self.now))
            }
            for _ in 0..<5 {
                try await store.releaseDownload(record.id, completed: true)
            }
            let found = try #require(try await store.find(record.id))
            #expect(found.activeDownloads == 15)
            #expect(found.downloads == 5)
        }
    }

    @Test("an expired record cannot be reserved; one expiring later can")
    func expiry() async throws {
        try await Fixture.withStore { store, _ in
            let expiresAt = Fixture.date(milliseconds: 1_800_003_600_123)
            let record = try await store.storeComplete(expiresAt: expiresAt, maxDownloads: nil)

            #expect(try await store.reserveDownload(record.id, now: expiresAt) == false)
            #expect(try await store.reserveDownload(record.id, now: expiresAt.addingTimeInterval(86_400)) == false)
            #expect(try await store.find(record.id)?.activeDownloads == 0)

            let justBefore = Fixture.date(milliseconds: 1_800_003_600_122)
            #expect(try await store.reserveDownload(record.id, now: justBefore))
            #expect(try await store.reserveDownload(record.id, now: Self.now))
            #expect(try await store.find(record.id)?.activeDownloads == 2)
        }
    }

    @Test("uploading, deleted and unknown records cannot be reserved")
    func onlyCompleteRecordsAreReserved() async throws {
        try await Fixture.withStore { store, _ in
            let uploading = Fixture.uploadingRecord()
            try await store.insertUploading(uploading)
            let deleted = try await store.storeDeleted()

            #expect(try await store.reserveDownload(uploading.id, now: Self.now) == false)
            #expect(try await store.reserveDownload(deleted.id, now: Self.now) == false)
            #expect(try await store.reserveDownload(.random(), now: Self.now) == false)
            #expect(try await store.find(uploading.id)?.activeDownloads == 0)
            #expect(try await store.find(deleted.id)?.activeDownloads == 0)
        }
    }

    @Test("50 racing reservations for 5 downloads grant exactly 5")
    func concurrentReservations() async throws {
        try await Fixture.withStore { store, _ in
            let record = try await store.storeComplete(maxDownloads: 5)
            let other = try await store.storeComplete(maxDownloads: 5)

            let granted = try await Self.race(50) { try await store.reserveDownload(record.id, now: Self.now) }
            #expect(granted == 5)
            var found = try #require(try await store.find(record.id))
            #expect(found.activeDownloads == 5)
            #expect(found.downloads == 0)
            #expect(try await store.find(other.id)?.activeDownloads == 0)

            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<5 {
                    group.addTask { try await store.releaseDownload(record.id, completed: true) }
                }
                try await group.waitForAll()
            }
            found = try #require(try await store.find(record.id))
            #expect(found.activeDownloads == 0)
            #expect(found.downloads == 5)

            #expect(try await Self.race(50) { try await store.reserveDownload(record.id, now: Self.now) } == 0)
        }
    }

    @Test("racing reserve-and-abandon cycles never hold more than the limit")
    func concurrentCycles() async throws {
        try await Fixture.withStore { store, _ in
            let record = try await store.storeComplete(maxDownloads: 3)
            _ = try await Self.race(40) {
                guard try await store.reserveDownload(record.id, now: Self.now) else { return false }
                let held = try await store.find(record.id)?.activeDownloads ?? 0
                try await store.releaseDownload(record.id, completed: false)
                if held > 3 { throw FixtureError("\(held) slots held with a limit of 3") }
                return true
            }
            let found = try #require(try await store.find(record.id))
            #expect(found.activeDownloads == 0)
            #expect(found.downloads == 0)
        }
    }

    /// Runs `attempt` in `count` concurrent tasks; returns how many answered `true`.
    static func race(_ count: Int, _ attempt: @escaping @Sendable () async throws -> Bool) async throws -> Int {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<count {
                group.addTask { try await attempt() }
            }
            var granted = 0
            for try await answer in group where answer {
                granted += 1
            }
            return granted
        }
    }
}
