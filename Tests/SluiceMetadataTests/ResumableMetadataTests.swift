import Testing

import Foundation
import SQLiteNIO
import SluiceCore
import SluiceMetadata

/// The resumable-upload (tus) part of `SQLMetadataStore` on a real SQLite file: the resumable
/// columns, the upload lease, and how sweeping, recovery and the v1 → v2 migration treat them.
@Suite("SQLMetadataStore resumable uploads")
struct ResumableMetadataTests {
    typealias Fixture = MetadataFixture

    // MARK: Records and leases

    @Test("a resumable upload reads back equal, with a declared and with a deferred length")
    func insertRoundTrip() async throws {
        try await Fixture.withStore { store, path in
            var digest = ResumableSHA256()
            digest.update(bytes: TestInput.bytes(100))  // 100 % 64 = 36 pending bytes in the state
            let declared = TestInput.resumableRecord(
                length: 5_000_000_123, metadata: "filename cmVwb3J0LnBkZg==,is_confidential", maxDays: 2.5,
                digestState: digest.serialized, expiresAt: TestInput.at(seconds: 86_400))
            let deferred = TestInput.resumableRecord(
                length: nil, metadata: "", maxDays: nil, digestState: ResumableSHA256().serialized, expiresAt: nil)
            try await store.insertUploading(declared)
            try await store.insertUploading(deferred)

            let foundDeclared = try #require(try await store.find(declared.id))
            #expect(foundDeclared == declared)
            #expect(foundDeclared.state == .uploading)
            #expect(foundDeclared.size == 0)
            #expect(foundDeclared.expiresAt.map(Fixture.millis) == Fixture.millis(TestInput.at(seconds: 86_400)))
            let state = try #require(foundDeclared.resumable)
            #expect(state.length == 5_000_000_123)
            #expect(state.metadata == "filename cmVwb3J0LnBkZg==,is_confidential")
            #expect(state.maxDays == 2.5)
            #expect(state.digestState == digest.serialized)
            #expect(ResumableSHA256(serialized: state.digestState) == digest)
            #expect(foundDeclared.unavailability(at: Fixture.epoch) == .notFound)

            let foundDeferred = try #require(try await store.find(deferred.id))
            #expect(foundDeferred == deferred)
            #expect(foundDeferred.resumable != nil)
            #expect(foundDeferred.resumable?.length == nil)
            #expect(foundDeferred.resumable?.maxDays == nil)
            #expect(foundDeferred.resumable?.metadata == "")
            #expect(foundDeferred.resumable?.digestState == ResumableSHA256().serialized)
            #expect(foundDeferred.expiresAt == nil)

            // A single-request upload next to them still has no resumable part.
            let plain = Fixture.uploadingRecord()
            try await store.insertUploading(plain)
            #expect(try await store.find(plain.id)?.resumable == nil)

            // Stored as flagged, with no lease yet.
            let rows = try await Fixture.rawSQL(
                path: path, "SELECT resumable, lease_token, lease_until FROM files WHERE id = ?",
                [.text(declared.id.rawValue)])
            let row = try #require(rows.first)
            #expect(row.column("resumable")?.integer == 1)
            #expect(row.column("lease_token")?.isNull == true)
            #expect(row.column("lease_until")?.isNull == true)
        }
    }

    @Test("acquireUpload succeeds only at the upload's durable offset")
    func acquireAtOffset() async throws {
        try await Fixture.withStore { store, _ in
            let record = TestInput.resumableRecord()
            try await store.insertUploading(record)

            for wrong: Int64 in [1, 100, -1, 10_000] {
                #expect(
                    try await store.acquireUpload(
                        record.id, offset: wrong, lease: "lease-a", until: TestInput.at(seconds: 60),
                        now: TestInput.at(seconds: 0)) == nil, "offset \(wrong)")
            }
            let acquired = try #require(
                try await store.acquireUpload(
                    record.id, offset: 0, lease: "lease-a", until: TestInput.at(seconds: 60),
                    now: TestInput.at(seconds: 0)))
            #expect(acquired == record)

            // Once progress is saved, the new offset is the only one accepted.
            var progressed = acquired
            progressed.size = 4096
            progressed.resumable?.digestState = TestInput.digestState(after: 4096)
            #expect(try await store.saveProgress(progressed, lease: "lease-a", leaseUntil: TestInput.at(seconds: 60)))
            try await store.releaseUpload(record.id, lease: "lease-a")
            #expect(
                try await store.acquireUpload(
                    record.id, offset: 0, lease: "lease-b", until: TestInput.at(seconds: 120),
                    now: TestInput.at(seconds: 1)) == nil)
            let again = try #require(
                try await store.acquireUpload(
                    record.id, offset: 4096, lease: "lease-b", until: TestInput.at(seconds: 120),
                    now: TestInput.at(seconds: 1)))
            #expect(again.size == 4096)
            #expect(again.resumable == progressed.resumable)

            // An unknown id is never acquired.
            #expect(
                try await store.acquireUpload(
                    .random(), offset: 0, lease: "lease-c", until: TestInput.at(seconds: 60),
                    now: TestInput.at(seconds: 0)) == nil)
        }
    }

    @Test("acquireUpload is refused while another lease is unexpired, and granted from its until on")
    func acquireWhileLeased() async throws {
        try await Fixture.withStore { store, _ in
            let record = TestInput.resumableRecord()
            try await store.insertUploading(record)
            #expect(
                try await store.acquireUpload(
                    record.id, offset: 0, lease: "lease-a", until: TestInput.at(seconds: 60),
                    now: TestInput.at(seconds: 0)) != nil)

            for now in [TestInput.at(seconds: 0), TestInput.at(seconds: 30), TestInput.at(milliseconds: 59_999)] {
                #expect(
                    try await store.acquireUpload(
                        record.id, offset: 0, lease: "lease-b", until: now.addingTimeInterval(60), now: now) == nil,
                    "at \(Fixture.millis(now))")
            }
            // The holder itself cannot take it a second time either.
            #expect(
                try await store.acquireUpload(
                    record.id, offset: 0, lease: "lease-a", until: TestInput.at(seconds: 90),
                    now: TestInput.at(seconds: 30)) == nil)

            // At the lease's until it has lapsed, and the next request takes the upload over.
            let takenOver = try #require(
                try await store.acquireUpload(
                    record.id, offset: 0, lease: "lease-b", until: TestInput.at(seconds: 120),
                    now: TestInput.at(seconds: 60)))
            #expect(takenOver.id == record.id)
            #expect(takenOver.state == .uploading)

            // Now the new lease is the one that shuts others out.
            #expect(
                try await store.acquireUpload(
                    record.id, offset: 0, lease: "lease-c", until: TestInput.at(seconds: 150),
                    now: TestInput.at(seconds: 90)) == nil)
            #expect(
                try await store.acquireUpload(
                    record.id, offset: 0, lease: "lease-c", until: TestInput.at(seconds: 180),
                    now: TestInput.at(seconds: 121)) != nil)
        }
    }

    @Test("acquireUpload refuses an upload from its expiry on")
    func acquireExpired() async throws {
        try await Fixture.withStore { store, _ in
            let record = TestInput.resumableRecord(expiresAt: TestInput.at(seconds: 100))
            try await store.insertUploading(record)

            for now in [TestInput.at(seconds: 100), TestInput.at(seconds: 101), TestInput.at(seconds: 86_400)] {
                #expect(
                    try await store.acquireUpload(
                        record.id, offset: 0, lease: "lease-a", until: now.addingTimeInterval(60), now: now) == nil,
                    "at \(Fixture.millis(now))")
            }
            // A millisecond before its expiry it is still live.
            #expect(
                try await store.acquireUpload(
                    record.id, offset: 0, lease: "lease-a", until: TestInput.at(seconds: 160),
                    now: TestInput.at(milliseconds: 99_999)) != nil)
            #expect(try await store.find(record.id)?.state == .uploading)
        }
    }

    @Test("acquireUpload refuses single-request uploads, complete and terminated uploads")
    func acquireOnlyUnfinishedResumable() async throws {
        try await Fixture.withStore { store, _ in
            let plain = Fixture.uploadingRecord()
            try await store.insertUploading(plain)
            #expect(
                try await store.acquireUpload(
                    plain.id, offset: 0, lease: "lease-a", until: TestInput.at(seconds: 60),
                    now: TestInput.at(seconds: 0)) == nil)

            let complete = try await TestInput.storeCompleteResumable(in: store, size: 10_000)
            for offset: Int64 in [0, 10_000] {
                #expect(
                    try await store.acquireUpload(
                        complete.id, offset: offset, lease: "lease-a", until: TestInput.at(seconds: 60),
                        now: TestInput.at(seconds: 0)) == nil, "offset \(offset)")
            }

            let terminated = TestInput.resumableRecord()
            try await store.insertUploading(terminated)
            #expect(try await store.abandonUpload(terminated.id))
            #expect(
                try await store.acquireUpload(
                    terminated.id, offset: 0, lease: "lease-a", until: TestInput.at(seconds: 60),
                    now: TestInput.at(seconds: 0)) == nil)

            #expect(try await store.find(plain.id)?.state == .uploading)
            #expect(try await store.find(complete.id)?.state == .complete)
            #expect(try await store.find(terminated.id)?.state == .deleted)
        }
    }

    @Test("saveProgress stores offset, length, digest state and expiry under the lease, and extends the lease")
    func saveProgressUnderLease() async throws {
        try await Fixture.withStore { store, path in
            let record = TestInput.resumableRecord(length: nil, maxDays: 3)
            try await store.insertUploading(record)
            let acquired = try #require(
                try await store.acquireUpload(
                    record.id, offset: 0, lease: "lease-a", until: TestInput.at(seconds: 60),
                    now: TestInput.at(seconds: 0)))

            var progressed = acquired
            progressed.size = 200_000
            progressed.resumable?.length = 1_000_000  // declared late
            progressed.resumable?.digestState = TestInput.digestState(after: 200_000)
            progressed.expiresAt = TestInput.at(seconds: 90_000)
            #expect(try await store.saveProgress(progressed, lease: "lease-a", leaseUntil: TestInput.at(seconds: 120)))

            let found = try #require(try await store.find(record.id))
            #expect(found == progressed)
            #expect(found.state == .uploading)
            #expect(found.size == 200_000)
            #expect(found.resumable?.length == 1_000_000)
            #expect(found.resumable?.digestState == TestInput.digestState(after: 200_000))
            #expect(found.resumable?.metadata == record.resumable?.metadata)
            #expect(found.resumable?.maxDays == 3)
            #expect(found.expiresAt.map(Fixture.millis) == Fixture.millis(TestInput.at(seconds: 90_000)))
            let leaseRows = try await Fixture.rawSQL(
                path: path, "SELECT lease_token, lease_until FROM files WHERE id = ?", [.text(record.id.rawValue)])
            #expect(leaseRows.first?.column("lease_token")?.string == "lease-a")
            #expect(
                leaseRows.first?.column("lease_until")?.integer.map(Int64.init)
                    == Fixture.millis(TestInput.at(seconds: 120)))

            // A wrong lease token changes nothing.
            var intruder = progressed
            intruder.size = 300_000
            intruder.resumable?.digestState = TestInput.digestState(after: 300_000)
            #expect(try await store.saveProgress(intruder, lease: "lease-x", leaseUntil: TestInput.at(seconds: 200)) == false)
            #expect(try await store.find(record.id) == progressed)

            // The lease now runs until 120 s, not 60 s.
            #expect(
                try await store.acquireUpload(
                    record.id, offset: 200_000, lease: "lease-b", until: TestInput.at(seconds: 150),
                    now: TestInput.at(seconds: 90)) == nil)
            #expect(
                try await store.acquireUpload(
                    record.id, offset: 200_000, lease: "lease-b", until: TestInput.at(seconds: 180),
                    now: TestInput.at(seconds: 120)) != nil)

            // Its holder lost it to lease-b: saving under lease-a is refused.
            #expect(try await store.saveProgress(intruder, lease: "lease-a", leaseUntil: TestInput.at(seconds: 240)) == false)
            #expect(try await store.find(record.id)?.size == 200_000)

            // Once the upload is terminated, not even the current holder can save.
            #expect(try await store.abandonUpload(record.id))
            #expect(try await store.saveProgress(intruder, lease: "lease-b", leaseUntil: TestInput.at(seconds: 240)) == false)
            let terminated = try #require(try await store.find(record.id))
            #expect(terminated.state == .deleted)
            #expect(terminated.size == 200_000)
        }
    }

    @Test("releaseUpload frees the upload for the next request at once, but only under its own lease")
    func releaseUpload() async throws {
        try await Fixture.withStore { store, _ in
            let record = TestInput.resumableRecord()
            try await store.insertUploading(record)
            #expect(
                try await store.acquireUpload(
                    record.id, offset: 0, lease: "lease-a", until: TestInput.at(seconds: 60),
                    now: TestInput.at(seconds: 0)) != nil)

            // Releasing under another token leaves lease-a in place.
            try await store.releaseUpload(record.id, lease: "lease-x")
            #expect(
                try await store.acquireUpload(
                    record.id, offset: 0, lease: "lease-b", until: TestInput.at(seconds: 61),
                    now: TestInput.at(seconds: 1)) == nil)

            try await store.releaseUpload(record.id, lease: "lease-a")
            #expect(
                try await store.acquireUpload(
                    record.id, offset: 0, lease: "lease-b", until: TestInput.at(seconds: 61),
                    now: TestInput.at(seconds: 1)) != nil)

            // A late release of the old lease does not free the new holder's upload.
            try await store.releaseUpload(record.id, lease: "lease-a")
            #expect(
                try await store.acquireUpload(
                    record.id, offset: 0, lease: "lease-c", until: TestInput.at(seconds: 62),
                    now: TestInput.at(seconds: 2)) == nil)

            // Releasing twice, or an unknown upload, is harmless.
            try await store.releaseUpload(record.id, lease: "lease-b")
            try await store.releaseUpload(record.id, lease: "lease-b")
            try await store.releaseUpload(.random(), lease: "lease-b")
            #expect(
                try await store.acquireUpload(
                    record.id, offset: 0, lease: "lease-c", until: TestInput.at(seconds: 62),
                    now: TestInput.at(seconds: 2)) != nil)
            #expect(try await store.find(record.id)?.state == .uploading)
        }
    }

    @Test("abandonUpload marks only unfinished resumable uploads deleted")
    func abandonUpload() async throws {
        try await Fixture.withStore { store, path in
            // Held by a request: abandoned all the same, and its lease goes with it.
            let leased = TestInput.resumableRecord()
            try await store.insertUploading(leased)
            #expect(
                try await store.acquireUpload(
                    leased.id, offset: 0, lease: "lease-a", until: TestInput.at(seconds: 60),
                    now: TestInput.at(seconds: 0)) != nil)
            #expect(try await store.abandonUpload(leased.id))
            let found = try #require(try await store.find(leased.id))
            #expect(found.state == .deleted)
            #expect(found.resumable != nil)
            #expect(found.unavailability(at: TestInput.at(seconds: 1)) == .deleted)
            let rows = try await Fixture.rawSQL(
                path: path, "SELECT lease_token, lease_until FROM files WHERE id = ?", [.text(leased.id.rawValue)])
            #expect(rows.first?.column("lease_token")?.isNull == true)
            #expect(rows.first?.column("lease_until")?.isNull == true)
            #expect(try await store.abandonUpload(leased.id) == false)

            // Unleased, and already past its expiry (the sweeper's case).
            let expired = TestInput.resumableRecord(expiresAt: TestInput.at(seconds: -1))
            try await store.insertUploading(expired)
            #expect(try await store.abandonUpload(expired.id))
            #expect(try await store.find(expired.id)?.state == .deleted)

            let plain = Fixture.uploadingRecord()
            try await store.insertUploading(plain)
            #expect(try await store.abandonUpload(plain.id) == false)
            #expect(try await store.find(plain.id)?.state == .uploading)

            let complete = try await TestInput.storeCompleteResumable(in: store, size: 10_000)
            #expect(try await store.abandonUpload(complete.id) == false)
            #expect(try await store.find(complete.id)?.state == .complete)

            let plainComplete = try await store.storeComplete()
            #expect(try await store.abandonUpload(plainComplete.id) == false)
            #expect(try await store.find(plainComplete.id)?.state == .complete)

            #expect(try await store.abandonUpload(.random()) == false)
        }
    }

    @Test("markComplete on a resumable upload clears its lease and keeps its resumable part")
    func markCompleteResumable() async throws {
        try await Fixture.withStore { store, path in
            let record = TestInput.resumableRecord(length: 10_000, maxDays: 7.5)
            try await store.insertUploading(record)
            let acquired = try #require(
                try await store.acquireUpload(
                    record.id, offset: 0, lease: "lease-a", until: TestInput.at(seconds: 600),
                    now: TestInput.at(seconds: 0)))

            // As ResumableUploads completes it: final size and digest, link lifetime from maxDays,
            // digest state dropped.
            var complete = acquired
            complete.state = .complete
            complete.size = 10_000
            complete.sha256 = String(repeating: "cd", count: 32)
            complete.completedAt = TestInput.at(seconds: 10)
            complete.expiresAt = TestInput.at(seconds: 10 + 648_000)  // 7.5 days
            complete.resumable?.digestState = []
            try await store.markComplete(complete)

            let found = try #require(try await store.find(record.id))
            #expect(found.state == .complete)
            #expect(found.size == 10_000)
            #expect(found.sha256 == String(repeating: "cd", count: 32))
            #expect(found.completedAt.map(Fixture.millis) == Fixture.millis(TestInput.at(seconds: 10)))
            #expect(found.expiresAt.map(Fixture.millis) == Fixture.millis(TestInput.at(seconds: 648_010)))
            #expect(found.deleteTokenHash == record.deleteTokenHash)
            let state = try #require(found.resumable)
            #expect(state.length == 10_000)
            #expect(state.metadata == record.resumable?.metadata)
            #expect(state.maxDays == 7.5)
            #expect(state.digestState.isEmpty)
            #expect(found == complete)
            #expect(found.unavailability(at: TestInput.at(seconds: 11)) == nil)

            let rows = try await Fixture.rawSQL(
                path: path, "SELECT lease_token, lease_until FROM files WHERE id = ?", [.text(record.id.rawValue)])
            #expect(rows.first?.column("lease_token")?.isNull == true)
            #expect(rows.first?.column("lease_until")?.isNull == true)

            // The lease is gone, yet nothing can acquire it: it is complete.
            for offset: Int64 in [0, 10_000] {
                #expect(
                    try await store.acquireUpload(
                        record.id, offset: offset, lease: "lease-b", until: TestInput.at(seconds: 700),
                        now: TestInput.at(seconds: 650)) == nil, "offset \(offset)")
            }
            #expect(try await store.saveProgress(acquired, lease: "lease-a", leaseUntil: TestInput.at(seconds: 700)) == false)
            #expect(try await store.find(record.id)?.state == .complete)

            // It is served like any file.
            #expect(try await store.reserveDownload(record.id, now: TestInput.at(seconds: 11)))
            try await store.releaseDownload(record.id, completed: true)
            #expect(try await store.sweepable(now: TestInput.at(seconds: 11), limit: 10).isEmpty)
        }
    }

    // MARK: Sweeping and recovery

    @Test("sweepable takes resumable uploads past their expiry unless an unexpired lease holds them")
    func sweepableResumable() async throws {
        try await Fixture.withStore { store, _ in
            let abandoned = TestInput.resumableRecord(expiresAt: TestInput.at(seconds: 100))
            try await store.insertUploading(abandoned)
            let held = TestInput.resumableRecord(expiresAt: TestInput.at(seconds: 100))
            try await store.insertUploading(held)
            #expect(
                try await store.acquireUpload(
                    held.id, offset: 0, lease: "lease-a", until: TestInput.at(seconds: 300),
                    now: TestInput.at(seconds: 50)) != nil)
            let live = TestInput.resumableRecord(expiresAt: TestInput.at(seconds: 1000))
            try await store.insertUploading(live)
            let plain = Fixture.uploadingRecord(createdAt: Fixture.epoch.addingTimeInterval(-30 * 86_400))
            try await store.insertUploading(plain)
            let complete = try await TestInput.storeCompleteResumable(in: store, size: 10)

            #expect(try await store.sweepable(now: TestInput.at(milliseconds: 99_999), limit: 100).isEmpty)

            // From its expiry on, the unleased one is due.
            for now in [TestInput.at(seconds: 100), TestInput.at(seconds: 200), TestInput.at(milliseconds: 299_999)] {
                let swept = try await store.sweepable(now: now, limit: 100)
                #expect(swept.map(\.id) == [abandoned.id], "at \(Fixture.millis(now))")
            }
            let swept = try await store.sweepable(now: TestInput.at(seconds: 200), limit: 100)
            let due = try #require(swept.first)
            #expect(due.state == .uploading)
            #expect(due.resumable == abandoned.resumable)

            // The held one only once its lease has lapsed too.
            let later = try await store.sweepable(now: TestInput.at(seconds: 300), limit: 100)
            #expect(Set(later.map(\.id)) == [abandoned.id, held.id])
            #expect(later.count == 2)

            // The live one only from its own expiry; the plain upload and the file never.
            let last = try await store.sweepable(now: TestInput.at(seconds: 1000), limit: 100)
            #expect(Set(last.map(\.id)) == [abandoned.id, held.id, live.id])
            for excluded in [plain.id, complete.id] {
                #expect(!last.contains { $0.id == excluded })
            }
        }
    }

    @Test("recoverAfterRestart abandons single-request uploads, keeps resumable ones and frees their leases")
    func recoverKeepsResumable() async throws {
        try await Fixture.withDatabasePath { path in
            // The previous process: one upload of each kind in flight, one resumable upload idle.
            let (plain, leased, idle) = try await Fixture.withOpenStore(path: path) { store in
                let plain = Fixture.uploadingRecord()
                try await store.insertUploading(plain)
                let leased = TestInput.resumableRecord()
                try await store.insertUploading(leased)
                let acquired = try #require(
                    try await store.acquireUpload(
                        leased.id, offset: 0, lease: "old-process", until: TestInput.at(seconds: 60),
                        now: TestInput.at(seconds: 0)))
                var progressed = acquired
                progressed.size = 4096
                progressed.resumable?.digestState = TestInput.digestState(after: 4096)
                #expect(try await store.saveProgress(progressed, lease: "old-process", leaseUntil: TestInput.at(seconds: 60)))
                let idle = TestInput.resumableRecord(length: nil)
                try await store.insertUploading(idle)
                return (plain, progressed, idle)
            }

            // The new process, well before the old lease would have lapsed.
            try await Fixture.withOpenStore(path: path) { store in
                #expect(try await store.recoverAfterRestart() == 1)

                #expect(try await store.find(plain.id)?.state == .deleted)
                let recoveredLeased = try #require(try await store.find(leased.id))
                #expect(recoveredLeased == leased)
                #expect(recoveredLeased.state == .uploading)
                #expect(recoveredLeased.size == 4096)
                #expect(try await store.find(idle.id) == idle)

                let rows = try await Fixture.rawSQL(
                    path: path, "SELECT COUNT(*) AS n FROM files WHERE lease_token IS NOT NULL OR lease_until IS NOT NULL")
                #expect(rows.first?.column("n")?.integer == 0)

                // Resumable at once, at their durable offsets.
                let resumed = try #require(
                    try await store.acquireUpload(
                        leased.id, offset: 4096, lease: "new-process", until: TestInput.at(seconds: 70),
                        now: TestInput.at(seconds: 10)))
                #expect(resumed.resumable?.digestState == TestInput.digestState(after: 4096))
                #expect(
                    try await store.acquireUpload(
                        idle.id, offset: 0, lease: "new-process", until: TestInput.at(seconds: 70),
                        now: TestInput.at(seconds: 10)) != nil)

                // Only the abandoned single-request upload is the sweeper's.
                let swept = try await store.sweepable(now: TestInput.at(seconds: 10), limit: 100)
                #expect(swept.map(\.id) == [plain.id])

                #expect(try await store.recoverAfterRestart() == 0)
                #expect(try await store.find(leased.id)?.state == .uploading)
            }
        }
    }

    // MARK: Migration

    @Test("a version 1 database migrates to the newest version and its rows read back without a resumable part")
    func migrateFromVersion1() async throws {
        try await Fixture.withDatabasePath { path in
            // The database as version 1 left it, built by hand.
            try await Fixture.rawSQL(
                path: path,
                "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            try await Fixture.rawSQL(
                path: path,
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
                """)
            try await Fixture.rawSQL(path: path, "CREATE INDEX files_state ON files (state)")
            try await Fixture.rawSQL(path: path, "CREATE INDEX files_expires_at ON files (expires_at)")

            let complete = FileRecord(
                id: .random(), name: "old report.pdf", contentType: "application/pdf", state: .complete, size: 42,
                sha256: String(repeating: "ef", count: 32), deleteTokenHash: DeleteToken.random().hash,
                createdAt: Fixture.epoch, completedAt: TestInput.at(seconds: 2),
                expiresAt: TestInput.at(seconds: 604_800), maxDownloads: 5, downloads: 2, activeDownloads: 0)
            try await Fixture.rawSQL(
                path: path,
                """
                INSERT INTO files (id, name, content_type, state, size, sha256, delete_token_hash, created_at,
                                   completed_at, expires_at, max_downloads, downloads, active_downloads)
                VALUES (?, ?, ?, 'complete', 42, ?, ?, ?, ?, ?, 5, 2, 0)
                """,
                [
                    .text(complete.id.rawValue), .text(complete.name), .text(complete.contentType),
                    .text(complete.sha256 ?? ""), .text(complete.deleteTokenHash),
                    .integer(SQLiteInt64(Fixture.millis(complete.createdAt))),
                    .integer(SQLiteInt64(Fixture.millis(TestInput.at(seconds: 2)))),
                    .integer(SQLiteInt64(Fixture.millis(TestInput.at(seconds: 604_800)))),
                ])
            // And a single-request upload the old process left unfinished.
            let uploading = Fixture.uploadingRecord()
            try await Fixture.rawSQL(
                path: path,
                """
                INSERT INTO files (id, name, content_type, state, size, delete_token_hash, created_at)
                VALUES (?, ?, ?, 'uploading', 0, ?, ?)
                """,
                [
                    .text(uploading.id.rawValue), .text(uploading.name), .text(uploading.contentType),
                    .text(uploading.deleteTokenHash), .integer(SQLiteInt64(Fixture.millis(uploading.createdAt))),
                ])
            try await Fixture.rawSQL(
                path: path, "INSERT INTO schema_migrations (version, applied_at) VALUES (1, ?)",
                [.integer(SQLiteInt64(Fixture.millis(Fixture.epoch)))])

            // Opening it applies version 2 only.
            try await Fixture.withOpenStore(path: path) { store in
                let found = try #require(try await store.find(complete.id))
                #expect(found == complete)
                #expect(found.resumable == nil)
                #expect(found.state == .complete)
                #expect(found.downloads == 2)
                let foundUploading = try #require(try await store.find(uploading.id))
                #expect(foundUploading == uploading)
                #expect(foundUploading.resumable == nil)

                // The old rows are single-request files to every resumable operation.
                #expect(
                    try await store.acquireUpload(
                        uploading.id, offset: 0, lease: "lease-a", until: TestInput.at(seconds: 60),
                        now: TestInput.at(seconds: 0)) == nil)
                #expect(try await store.abandonUpload(uploading.id) == false)
                #expect(try await store.recoverAfterRestart() == 1)
                #expect(try await store.find(uploading.id)?.state == .deleted)
                #expect(try await store.reserveDownload(complete.id, now: TestInput.at(seconds: 3)))

                // New resumable uploads go into the migrated table.
                let resumable = TestInput.resumableRecord()
                try await store.insertUploading(resumable)
                #expect(try await store.find(resumable.id) == resumable)
                #expect(
                    try await store.acquireUpload(
                        resumable.id, offset: 0, lease: "lease-a", until: TestInput.at(seconds: 60),
                        now: TestInput.at(seconds: 0)) != nil)
            }

            let versions = try await Fixture.rawSQL(path: path, "SELECT version FROM schema_migrations ORDER BY version")
            let versionNumbers = versions.compactMap { $0.column("version")?.integer }
            #expect(versionNumbers == [1, 2, 3, 4])
            let oldRow = try await Fixture.rawSQL(
                path: path,
                """
                SELECT resumable, upload_length, upload_metadata, max_days, digest_state, lease_token, lease_until
                FROM files WHERE id = ?
                """,
                [.text(complete.id.rawValue)])
            let row = try #require(oldRow.first)
            #expect(row.column("resumable")?.integer == 0)
            for column in ["upload_length", "upload_metadata", "max_days", "digest_state", "lease_token", "lease_until"] {
                #expect(row.column(column)?.isNull == true, "\(column)")
            }

            // Reopening does not migrate again.
            try await Fixture.withOpenStore(path: path) { store in
                let found = try await store.find(complete.id)
                #expect(found?.resumable == nil)
            }
            let again = try await Fixture.rawSQL(path: path, "SELECT COUNT(*) AS n FROM schema_migrations")
            #expect(again.first?.column("n")?.integer == 4)
        }
    }
}

/// Resumable records and instants for these tests; the shared fixture has no resumable helpers.
private enum TestInput {
    /// `seconds` after `MetadataFixture.epoch`, exact to the millisecond like every stored time.
    static func at(seconds: Int64) -> Date {
        at(milliseconds: seconds * 1000)
    }

    /// `milliseconds` after `MetadataFixture.epoch`, built the way the store decodes a time column.
    static func at(milliseconds: Int64) -> Date {
        MetadataFixture.date(milliseconds: MetadataFixture.millis(MetadataFixture.epoch) + milliseconds)
    }

    /// Deterministic bytes.
    static func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    }

    /// The serialized SHA-256 state after `count` of ``bytes(_:)``.
    static func digestState(after count: Int) -> [UInt8] {
        var digest = ResumableSHA256()
        digest.update(bytes: bytes(count))
        return digest.serialized
    }

    /// A new resumable upload as `ResumableUploads.create` makes it: empty, with a fresh digest
    /// state and an expiry a day after the epoch unless told otherwise.
    static func resumableRecord(
        length: Int64? = 10_000, metadata: String = "filename cmVwb3J0LnBkZg==,is_confidential",
        maxDays: Double? = 7.5, digestState: [UInt8] = ResumableSHA256().serialized,
        expiresAt: Date? = TestInput.at(seconds: 86_400)
    ) -> FileRecord {
        var record = MetadataFixture.uploadingRecord()
        record.expiresAt = expiresAt
        record.resumable = ResumableState(length: length, metadata: metadata, maxDays: maxDays, digestState: digestState)
        return record
    }

    /// Inserts a resumable upload of `size` bytes and completes it the way `ResumableUploads` does.
    static func storeCompleteResumable(in store: SQLMetadataStore, size: Int64) async throws -> FileRecord {
        let record = resumableRecord(length: size, maxDays: nil)
        try await store.insertUploading(record)
        var complete = MetadataFixture.completed(record, size: size, completedAt: at(seconds: 5), expiresAt: nil)
        complete.resumable?.digestState = []
        try await store.markComplete(complete)
        return complete
    }
}
