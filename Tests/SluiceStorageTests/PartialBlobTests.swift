import Testing

import Foundation
import NIOCore
import SluiceCore
import SluiceStorage

/// The partial blobs of resumable uploads in `LocalBlobStore`: `openPartial` and its
/// `PartialBlobWriter` (checkpoint, complete, close) on a real temporary directory.
@Suite("LocalBlobStore partial blobs")
struct PartialBlobTests {
    /// The coalescing limit of a store writing one file (`WriteBuffers.largest`, 128 KiB):
    /// smaller chunks wait in memory, larger ones go straight to the file.
    static let coalescingLimit = 128 * 1024

    @Test("with many files being written each gathers less before a write: 128 KiB alone, 64 KiB among 512")
    func gatheringShrinksWithOpenFiles() async throws {
        try await BlobFixture.with { fixture in
            let id = FileID.random()
            let writer = try await fixture.store.openPartial(id, durableLength: 0)
            let kibibyte = ByteBuffer(repeating: 7, count: 1024)
            for _ in 0..<100 { try await writer.write(kibibyte) }
            #expect(try fixture.partialSize(id) == 0, "100 KiB wait in a buffer of 128 KiB")
            _ = try await writer.checkpoint()

            // 511 more files open: the store's 32 MiB shared by 512 is 64 KiB each.
            var others: [any BlobWriter] = []
            for _ in 0..<511 { others.append(try await fixture.store.makeWriter(for: FileID.random(), maximumLength: 1 << 20)) }
            for _ in 0..<65 { try await writer.write(kibibyte) }
            #expect(try fixture.partialSize(id) == (100 + 64) * 1024, "the 64th KiB made a write, the 65th waits")

            _ = try await writer.checkpoint()
            for other in others { await other.abort() }
            others.removeAll()
            for _ in 0..<100 { try await writer.write(kibibyte) }
            #expect(try fixture.partialSize(id) == (100 + 65) * 1024, "alone again, a new buffer gathers 128 KiB")
            try await writer.complete()
            #expect(try await fixture.read(id).bytes.count == (100 + 65 + 100) * 1024)
        }
    }

    @Test("a blob written by two writers, across a checkpoint and a close, reads back whole")
    func twoWriters() async throws {
        try await BlobFixture.with(readChunkSize: 64 * 1024) { fixture in
            var source = TestBytes(seed: 0x7A5)
            let firstChunks = [0, 1, 1000, 200_000, 5, 131_072, 131_071, 17].map { source.next($0) }
            let secondChunks = [3, 300_000, 0, 131_071, 1, 64, 128 * 1024 - 1, 2].map { source.next($0) }
            let firstBytes = firstChunks.flatMap { $0 }
            let firstLength = Int64(firstBytes.count)
            let expected = firstBytes + secondChunks.flatMap { $0 }
            let id = FileID.random()

            let first = try await fixture.store.openPartial(id, durableLength: 0)
            for chunk in firstChunks {
                try await first.write(ByteBuffer(bytes: chunk))
            }
            #expect(try await first.checkpoint() == firstLength)
            // Nothing more written: a second checkpoint reports the same length.
            #expect(try await first.checkpoint() == firstLength)
            await first.close()

            // The partial blob holds exactly the checkpointed bytes, under partial/ only.
            #expect(try fixture.entries(of: fixture.partialDirectory) == [id.rawValue])
            #expect(try fixture.partialSize(id) == firstLength)
            #expect(try fixture.partialBytes(id) == firstBytes)
            #expect(try fixture.filesUnderBlobs().isEmpty)
            try fixture.expectNoWriteInProgress()

            let second = try await fixture.store.openPartial(id, durableLength: firstLength)
            for (index, chunk) in secondChunks.enumerated() {
                try await second.write(ByteBuffer(bytes: chunk))
                if index == 2 {
                    // Checkpoints count from the start of the blob, not of this writer.
                    let written = Int64(secondChunks[...index].reduce(0) { $0 + $1.count })
                    #expect(try await second.checkpoint() == firstLength + written)
                }
            }
            try await second.complete()

            let whole = try await fixture.read(id)
            #expect(whole.bytes.count == expected.count)
            #expect(whole.bytes == expected)
            let range = try await fixture.read(id, range: (firstLength - 10)...(firstLength + 9))
            #expect(range.bytes == Array(expected[Int(firstLength - 10)...Int(firstLength + 9)]))

            #expect(try fixture.entries(of: fixture.partialDirectory).isEmpty)
            #expect(try fixture.filesUnderBlobs() == ["\(id.rawValue.prefix(2))/\(id.rawValue)"])
            try fixture.expectNoWriteInProgress()
            #expect(try await fixture.visitedIDs() == [id])
            #expect((fixture.openFiles(under: fixture.partialDirectory) ?? 0) == 0)
            #expect((fixture.openFiles(under: fixture.blobsDirectory) ?? 0) == 0)
        }
    }

    @Test("a partial blob completed with no bytes, or straight after a checkpoint, is a finished blob")
    func completeSmall() async throws {
        try await BlobFixture.with { fixture in
            let empty = FileID.random()
            let writer = try await fixture.store.openPartial(empty, durableLength: 0)
            try await writer.complete()
            #expect(try await fixture.read(empty).bytes.isEmpty)

            let checkpointed = FileID.random()
            var source = TestBytes(seed: 11)
            let bytes = source.next(300)
            let first = try await fixture.store.openPartial(checkpointed, durableLength: 0)
            try await first.write(ByteBuffer(bytes: bytes))
            #expect(try await first.checkpoint() == 300)
            await first.close()
            // Reopened only to complete, as the request carrying no further bytes does.
            let second = try await fixture.store.openPartial(checkpointed, durableLength: 300)
            try await second.complete()
            #expect(try await fixture.read(checkpointed).bytes == bytes)

            #expect(try fixture.entries(of: fixture.partialDirectory).isEmpty)
            let visited = try await fixture.visitedIDs()
            #expect(visited.count == 2)
            #expect(Set(visited) == [empty, checkpointed])
        }
    }

    @Test(
        "bytes written after the last checkpoint are cut off when the blob is reopened at the checkpoint",
        arguments: [[50], [200_000], [50, 200_000], [131_072, 7]])
    func cutOffAfterCheckpoint(unsavedSizes: [Int]) async throws {
        try await BlobFixture.with { fixture in
            var source = TestBytes(seed: 0xC0FFEE)
            let kept = source.next(100)
            let unsaved = unsavedSizes.map { source.next($0) }
            let other = source.next(1000)
            let id = FileID.random()

            let first = try await fixture.store.openPartial(id, durableLength: 0)
            try await first.write(ByteBuffer(bytes: kept))
            #expect(try await first.checkpoint() == 100)
            for chunk in unsaved {
                try await first.write(ByteBuffer(bytes: chunk))
            }
            await first.close()
            // Whether the unsaved bytes reached the file is up to the store; when they came in a
            // chunk the size of the coalescing limit they did, so the cut-off is really exercised.
            let onDisk = try fixture.partialSize(id)
            #expect(onDisk >= 100)
            if unsavedSizes.contains(where: { $0 >= Self.coalescingLimit }) {
                #expect(onDisk > 100, "the unsaved bytes should be in the file before it is reopened")
            }

            let second = try await fixture.store.openPartial(id, durableLength: 100)
            // Reopening alone already cuts the file back to the durable length.
            #expect(try fixture.partialSize(id) == 100)
            try await second.write(ByteBuffer(bytes: other))
            #expect(try await second.checkpoint() == 1100)
            try await second.complete()

            #expect(try await fixture.read(id).bytes == kept + other)
            #expect(try fixture.entries(of: fixture.partialDirectory).isEmpty)
        }
    }

    @Test("reopening at 0 starts the partial blob over")
    func reopenAtZero() async throws {
        try await BlobFixture.with { fixture in
            var source = TestBytes(seed: 5)
            let discarded = source.next(200_000)
            let fresh = source.next(64)
            let id = FileID.random()

            let first = try await fixture.store.openPartial(id, durableLength: 0)
            try await first.write(ByteBuffer(bytes: discarded))
            _ = try await first.checkpoint()
            await first.close()
            #expect(try fixture.partialSize(id) == 200_000)

            let second = try await fixture.store.openPartial(id, durableLength: 0)
            #expect(try fixture.partialSize(id) == 0)
            try await second.write(ByteBuffer(bytes: fresh))
            try await second.complete()
            #expect(try await fixture.read(id).bytes == fresh)
        }
    }

    @Test("opening at a length the partial blob does not hold throws and changes nothing")
    func openBeyondLength() async throws {
        try await BlobFixture.with { fixture in
            var source = TestBytes(seed: 99)
            let bytes = source.next(100)
            let id = FileID.random()
            let writer = try await fixture.store.openPartial(id, durableLength: 0)
            try await writer.write(ByteBuffer(bytes: bytes))
            #expect(try await writer.checkpoint() == 100)
            await writer.close()

            for length: Int64 in [101, 1000, 1 << 40] {
                await #expect(throws: (any Error).self, "durableLength \(length)") {
                    _ = try await fixture.store.openPartial(id, durableLength: length)
                }
            }
            #expect(try fixture.partialBytes(id) == bytes)
            #expect((fixture.openFiles(under: fixture.partialDirectory) ?? 0) == 0)

            // A positive length for an upload that has no partial blob at all throws too, and
            // creates nothing.
            let missing = FileID.random()
            await #expect(throws: (any Error).self) {
                _ = try await fixture.store.openPartial(missing, durableLength: 1)
            }
            #expect(try fixture.entries(of: fixture.partialDirectory) == [id.rawValue])

            // The blob is still good at its real length.
            let again = try await fixture.store.openPartial(id, durableLength: 100)
            try await again.write(ByteBuffer(bytes: [1, 2, 3]))
            try await again.complete()
            #expect(try await fixture.read(id).bytes == bytes + [1, 2, 3])
        }
    }

    @Test("delete removes partial and finished blobs; a missing one is not an error")
    func delete() async throws {
        try await BlobFixture.with { fixture in
            var source = TestBytes(seed: 21)
            let partial = FileID.random()
            let writer = try await fixture.store.openPartial(partial, durableLength: 0)
            try await writer.write(ByteBuffer(bytes: source.next(150_000)))
            _ = try await writer.checkpoint()
            await writer.close()
            let finished = try await fixture.storeBlob([source.next(2000)])
            let keptPartial = FileID.random()
            let keptWriter = try await fixture.store.openPartial(keptPartial, durableLength: 0)
            try await keptWriter.write(ByteBuffer(bytes: [4, 5, 6]))
            _ = try await keptWriter.checkpoint()
            await keptWriter.close()

            try await fixture.store.delete(partial)
            #expect(try fixture.entries(of: fixture.partialDirectory) == [keptPartial.rawValue])
            await #expect(throws: (any Error).self) {
                _ = try await fixture.store.openPartial(partial, durableLength: 150_000)
            }

            try await fixture.store.delete(finished)
            await #expect(throws: (any Error).self) { try await fixture.read(finished) }
            #expect(try fixture.filesUnderBlobs().isEmpty)

            // Again, and ids that never had a blob.
            try await fixture.store.delete(partial)
            try await fixture.store.delete(finished)
            try await fixture.store.delete(.random())

            #expect(try await fixture.visitedIDs() == [keptPartial])
            #expect(try fixture.partialBytes(keptPartial) == [4, 5, 6])

            // A deleted upload's id can start over.
            let restarted = try await fixture.store.openPartial(partial, durableLength: 0)
            try await restarted.write(ByteBuffer(bytes: [9]))
            try await restarted.complete()
            #expect(try await fixture.read(partial).bytes == [9])
        }
    }

    @Test("delete while a writer is still open removes the partial blob")
    func deleteWhileOpen() async throws {
        try await BlobFixture.with { fixture in
            let id = FileID.random()
            let writer = try await fixture.store.openPartial(id, durableLength: 0)
            try await writer.write(ByteBuffer(bytes: [1, 2, 3]))
            _ = try await writer.checkpoint()

            try await fixture.store.delete(id)
            #expect(try fixture.entries(of: fixture.partialDirectory).isEmpty)
            #expect(try await fixture.visitedIDs().isEmpty)
            await writer.close()
            #expect(try fixture.entries(of: fixture.partialDirectory).isEmpty)
            #expect((fixture.openFiles(under: fixture.partialDirectory) ?? 0) == 0)
        }
    }

    @Test("forEachBlob visits partial blobs as well as finished ones, each once")
    func forEachBlobVisitsPartials() async throws {
        try await BlobFixture.with { fixture in
            let finished = try await fixture.storeBlob([[1, 2, 3]])

            let closed = FileID.random()
            let closedWriter = try await fixture.store.openPartial(closed, durableLength: 0)
            try await closedWriter.write(ByteBuffer(bytes: [UInt8](repeating: 7, count: 200_000)))
            _ = try await closedWriter.checkpoint()
            await closedWriter.close()

            // Still open, not a byte written yet.
            let open = FileID.random()
            let openWriter = try await fixture.store.openPartial(open, durableLength: 0)

            // A stray file in partial/ is skipped.
            #expect(
                FileManager.default.createFile(
                    atPath: fixture.partialDirectory.appendingPathComponent("notes.txt").path, contents: Data()))

            let visited = try await fixture.visitedIDs()
            #expect(visited.count == 3)
            #expect(Set(visited) == [finished, closed, open])

            // Completing one moves it from the partial blobs to the finished ones: still visited once.
            let reopened = try await fixture.store.openPartial(closed, durableLength: 200_000)
            try await reopened.complete()
            let after = try await fixture.visitedIDs()
            #expect(after.count == 3)
            #expect(Set(after) == [finished, closed, open])

            await openWriter.close()
        }
    }

    @Test("removeLeftovers leaves partial blobs alone")
    func removeLeftoversKeepsPartials() async throws {
        try await BlobFixture.with { fixture in
            var source = TestBytes(seed: 77)
            let bytes = source.next(140_000)
            let id = FileID.random()
            let writer = try await fixture.store.openPartial(id, durableLength: 0)
            try await writer.write(ByteBuffer(bytes: bytes))
            #expect(try await writer.checkpoint() == 140_000)
            await writer.close()
            // And one whose writer is still open.
            let open = FileID.random()
            let openWriter = try await fixture.store.openPartial(open, durableLength: 0)
            // And a real leftover in tmp/.
            #expect(
                FileManager.default.createFile(
                    atPath: fixture.temporaryDirectory.appendingPathComponent("crashed-write").path,
                    contents: Data(repeating: 0xAB, count: 4096)))

            #expect(try await fixture.store.removeLeftovers() == 1)
            #expect(try fixture.entries(of: fixture.temporaryDirectory).isEmpty)
            let partials = try fixture.entries(of: fixture.partialDirectory)
            #expect(Set(partials) == [id.rawValue, open.rawValue])
            #expect(try fixture.partialBytes(id) == bytes)
            #expect(try await fixture.store.removeLeftovers() == 0)

            await openWriter.close()
            let resumed = try await fixture.store.openPartial(id, durableLength: 140_000)
            try await resumed.complete()
            #expect(try await fixture.read(id).bytes == bytes)
        }
    }

    @Test("a partial blob cannot be read until it is completed")
    func unreadableUntilComplete() async throws {
        try await BlobFixture.with { fixture in
            var source = TestBytes(seed: 123)
            let id = FileID.random()
            let writer = try await fixture.store.openPartial(id, durableLength: 0)
            var written: [UInt8] = []
            for size in [10, 200_000, 5] {
                let chunk = source.next(size)
                written += chunk
                try await writer.write(ByteBuffer(bytes: chunk))
                await #expect(throws: (any Error).self) { try await fixture.read(id) }
            }
            _ = try await writer.checkpoint()
            await #expect(throws: (any Error).self) { try await fixture.read(id) }
            await #expect(throws: (any Error).self) { try await fixture.read(id, range: 0...0) }
            await writer.close()
            await #expect(throws: (any Error).self) { try await fixture.read(id) }
            #expect(try fixture.filesUnderBlobs().isEmpty)

            let more = source.next(3)
            written += more
            let resumed = try await fixture.store.openPartial(id, durableLength: Int64(written.count - more.count))
            try await resumed.write(ByteBuffer(bytes: more))
            _ = try await resumed.checkpoint()
            await #expect(throws: (any Error).self) { try await fixture.read(id) }
            try await resumed.complete()
            #expect(try await fixture.read(id).bytes == written)
        }
    }
}

extension BlobFixture {
    /// `root/partial/`, where the store keeps resumable uploads in progress.
    fileprivate var partialDirectory: URL { root.appendingPathComponent("partial", isDirectory: true) }

    /// The size of the partial blob of `id` on disk.
    fileprivate func partialSize(_ id: FileID) throws -> Int64 {
        let path = partialDirectory.appendingPathComponent(id.rawValue).path
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        guard let size = (attributes[.size] as? NSNumber)?.int64Value else {
            throw PartialBlobTestError("no size for \(path)")
        }
        return size
    }

    /// Every byte of the partial blob of `id` on disk.
    fileprivate func partialBytes(_ id: FileID) throws -> [UInt8] {
        let data = try Data(contentsOf: partialDirectory.appendingPathComponent(id.rawValue))
        return [UInt8](data)
    }
}

private struct PartialBlobTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
