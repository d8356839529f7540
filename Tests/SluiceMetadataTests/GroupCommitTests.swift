import Testing

import Foundation
import NIOPosix
import SQLiteKit
import SQLiteNIO
import SluiceCore
@testable import SluiceMetadata
import Synchronization

/// Many writes at once on the SQLite store, whose writes share transactions when they queue up:
/// each lands once, answers are each caller's own, and one caller's failure is not another's.
@Suite("SQLite group commit")
struct GroupCommitTests {
    typealias Fixture = MetadataFixture

    @Test("200 uploads inserted and completed at once all land, and each deletion answers once")
    func concurrentWrites() async throws {
        try await Fixture.withStore { store, path in
            let records = try await withThrowingTaskGroup(of: FileRecord.self) { group in
                for _ in 0..<200 { group.addTask { try await store.storeComplete() } }
                return try await group.reduce(into: [FileRecord]()) { $0.append($1) }
            }
            let stored = try await Fixture.rawSQL(path: path, "SELECT COUNT(*) AS n FROM files WHERE state = 'complete'")
            #expect(stored.first?.column("n")?.integer == 200)
            for record in records.prefix(10) { #expect(try await store.find(record.id)?.state == .complete) }

            // `markDeleted` reads its answer from `RETURNING`: true once per record, at once or not.
            let halves = [Array(records.prefix(100)), Array(records.dropFirst(100))]
            for half in halves {
                let answers = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for record in half + half { group.addTask { try await store.markDeleted(record.id) } }
                    return try await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                #expect(answers.count(where: { $0 }) == half.count)
            }
            let deleted = try await Fixture.rawSQL(path: path, "SELECT COUNT(*) AS n FROM files WHERE state = 'deleted'")
            #expect(deleted.first?.column("n")?.integer == 200)
        }
    }

    @Test("a write that fails among many fails alone; the others are stored")
    func oneFailureAmongMany() async throws {
        try await Fixture.withStore { store, path in
            let existing = (0..<20).map { _ in Fixture.uploadingRecord() }
            for record in existing { try await store.insertUploading(record) }
            // 20 inserts of ids that exist (a primary-key violation each) among 180 new ones.
            let fresh = (0..<180).map { _ in Fixture.uploadingRecord() }
            let outcomes = await withTaskGroup(of: (FileID, Bool).self) { group in
                for (index, record) in (fresh + existing).enumerated().shuffled() {
                    group.addTask {
                        var record = record
                        if index >= fresh.count { record.name = "again.pdf" }
                        return (record.id, (try? await store.insertUploading(record)) != nil)
                    }
                }
                return await group.reduce(into: [FileID: Bool]()) { $0[$1.0] = $1.1 }
            }
            #expect(fresh.allSatisfy { outcomes[$0.id] == true })
            #expect(existing.allSatisfy { outcomes[$0.id] == false })
            let rows = try await Fixture.rawSQL(path: path, "SELECT COUNT(*) AS n FROM files")
            #expect(rows.first?.column("n")?.integer == 200)
            for record in existing { #expect(try await store.find(record.id)?.name == record.name) }
        }
    }

    @Test("the health check commits nothing on SQLite: the write-ahead log does not grow")
    func healthCheckWritesNothing() async throws {
        try await Fixture.withStore { store, path in
            _ = try await store.storeComplete()
            let walSize = { try (FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? NSNumber)?.int64Value }
            let before = try walSize()
            for _ in 0..<20 { try await store.checkHealth() }
            #expect(try walSize() == before)
        }
    }

    /// How a test shows the database took writes before its batch waits.
    enum Progress: CaseIterable { case commit, probe }

    @Test(
        "a health check while writes wait for the disk is answered by them at once, not after their commit",
        arguments: Progress.allCases)
    func healthCheckDuringAWaitingCommit(after progress: Progress) async throws {
        try await Fixture.withStore { _, path in
            // A store of its own over the fixture's file, on threads of its own: the shared
            // pool's may all be waiting on other tests' locks.
            let threads = NIOThreadPool(numberOfThreads: 2)
            threads.start()
            defer { threads.shutdownGracefully { _ in } }
            let open = { try await SQLiteConnection.open(
                storage: .file(path: path), threadPool: threads, logger: Fixture.logger,
                on: MultiThreadedEventLoopGroup.singleton.any()) }
            let connection = try await open()
            _ = try await connection.query("PRAGMA busy_timeout=5000")
            let database = GroupCommittingDatabase(connection.sql())
            let store = SQLMetadataStore(database: database, instance: "probe-test", migrationLock: SingleProcessLock())
            // The database has taken writes: a commit, or a probe that took the write lock (all a
            // server that has stored nothing yet has seen).
            switch progress {
            case .commit: _ = try await store.storeComplete()
            case .probe: try await store.checkHealth()
            }
            // Longer ago than progress answers a probe for (2 s): what answers now is the batch.
            try await Task.sleep(for: .milliseconds(2500))
            let before = database.lastProgress
            // Another connection holding the write lock stands in for a slow disk: the next batch
            // waits in SQLite's busy timeout (5 s), with the probe's old rule after it.
            let holder = try await open()
            _ = try await holder.query("BEGIN IMMEDIATE")
            let writeEnded = Mutex(false)
            let write = Task {
                defer { writeEnded.withLock { $0 = true } }
                try await store.insertUploading(Fixture.uploadingRecord())
            }
            // Until the write's batch began, or the write failed.
            while database.lastProgress == before && !writeEnded.withLock({ $0 }) {
                try await Task.sleep(for: .milliseconds(10))
            }
            var probeError: (any Error)?
            do { try await store.checkHealth() } catch { probeError = error }
            let writeEndedFirst = writeEnded.withLock { $0 }
            _ = try await holder.query("ROLLBACK")
            try await holder.close()
            #expect(probeError == nil)
            #expect(!writeEndedFirst, "the probe was answered only after the write")
            try await write.value
            try await connection.close()
        }
    }

    @Test("the health check fails while another process holds the write lock, and passes once it is free")
    func healthCheckSeesALockedDatabase() async throws {
        try await Fixture.withStore { store, path in
            let holder = try await SQLiteConnection.open(storage: .file(path: path), logger: Fixture.logger)
            _ = try await holder.query("BEGIN EXCLUSIVE")
            await #expect(throws: (any Error).self) { try await store.checkHealth() }
            _ = try await holder.query("ROLLBACK")
            try await holder.close()
            try await store.checkHealth()
            _ = try await store.storeComplete()
        }
    }
}
