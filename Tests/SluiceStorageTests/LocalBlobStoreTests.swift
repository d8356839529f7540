import Testing

import Crypto
import Foundation
import NIOCore
import NIOFileSystem
import SluiceCore
import SluiceStorage

/// `LocalBlobStore` on a real temporary directory.
@Suite("LocalBlobStore")
struct LocalBlobStoreTests {
    /// Chunk sizes around the writer's 128 KiB coalescing limit, with empty and 1-byte chunks
    /// before, between and after the large ones.
    static let chunkSizes = [
        0, 1, 1000, 0, 1, 200_000, 131_072, 131_071, 1, 300_000, 0, 5, 131_071, 1, 128 * 1024 - 1, 0,
    ]

    @Test(
        "finished chunks read back exactly, whole and by range, written on a file thread or, on the executor of uploads, in place",
        arguments: [4096, 256 * 1024], [false, true])
    func writeThenRead(readChunkSize: Int, onBodyWorkExecutor: Bool) async throws {
        try await BlobFixture.with(readChunkSize: readChunkSize) { fixture in
            var source = TestBytes(seed: 0x5EED)
            let chunks = Self.chunkSizes.map { source.next($0) }
            let expected = chunks.flatMap { $0 }
            let total = Int64(expected.count)
            let id = try await withTaskExecutorPreference(onBodyWorkExecutor ? BodyWorkExecutor.shared : nil) {
                #expect(BodyWorkExecutor.isPreferred == onBodyWorkExecutor)
                return try await fixture.storeBlob(chunks)
            }

            let whole = try await fixture.read(id)
            #expect(whole.bytes.count == expected.count)
            #expect(whole.bytes == expected)
            #expect(whole.chunkSizes.allSatisfy { $0 > 0 && $0 <= readChunkSize })

            let ranges: [ClosedRange<Int64>] = [
                0...0, (total - 1)...(total - 1), 1000...250_000, 131_071...131_073, 500_000...500_000, 0...(total - 1),
            ]
            for range in ranges {
                let part = try await fixture.read(id, range: range)
                #expect(part.bytes == Array(expected[Int(range.lowerBound)...Int(range.upperBound)]), "range \(range)")
                #expect(part.chunkSizes.allSatisfy { $0 > 0 && $0 <= readChunkSize }, "range \(range)")
            }

            // The finished blob lies, with exactly its bytes, where the layout says.
            let prefix = String(id.rawValue.prefix(2))
            #expect(try fixture.filesUnderBlobs() == ["\(prefix)/\(id.rawValue)"])
            let path = fixture.blobsDirectory.appendingPathComponent(prefix).appendingPathComponent(id.rawValue).path
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.size] as? NSNumber)?.int64Value == total)
            #expect(try fixture.entries(of: fixture.temporaryDirectory).isEmpty)
        }
    }

    @Test("a range read in one job fails when the file on disk is shorter than the range")
    func shortFileRead() async throws {
        try await BlobFixture.with { fixture in
            var source = TestBytes(seed: 0x5407)
            let id = try await fixture.storeBlob([source.next(1000)])
            let prefix = String(id.rawValue.prefix(2))
            let path = fixture.blobsDirectory.appendingPathComponent(prefix).appendingPathComponent(id.rawValue).path
            #expect(truncate(path, 500) == 0)
            #expect(try await fixture.read(id, range: 0...499).bytes.count == 500)
            await #expect(throws: SluiceError.self) { try await fixture.read(id, range: 0...999) }
        }
    }

    @Test("blobs of no bytes and of one byte", arguments: [[Int](), [0], [0, 0], [1], [0, 1, 0]])
    func tinyBlobs(chunkSizes: [Int]) async throws {
        try await BlobFixture.with { fixture in
            var source = TestBytes(seed: 7)
            let chunks = chunkSizes.map { source.next($0) }
            let expected = chunks.flatMap { $0 }
            let id = try await fixture.storeBlob(chunks)
            #expect(try await fixture.read(id).bytes == expected)
            if !expected.isEmpty {
                #expect(try await fixture.read(id, range: 0...0).bytes == expected)
            }
            #expect(try await fixture.visitedIDs() == [id])
        }
    }

    @Test(
        "with more writes open than the largest buffers fit, chunks on the executor of uploads reach the file at once, elsewhere they gather",
        arguments: [false, true])
    func manyWritesGatherOnlyOffTheBodyWorkExecutor(onBodyWorkExecutor: Bool) async throws {
        try await BlobFixture.with { fixture in
            try await withTaskExecutorPreference(onBodyWorkExecutor ? BodyWorkExecutor.shared : nil) {
                let ids = (0..<200).map { _ in FileID.random() }
                var writers: [any BlobWriter] = []
                for id in ids { writers.append(try await fixture.store.makeWriter(for: id)) }
                for writer in writers { try await writer.write(ByteBuffer(bytes: [1, 2, 3])) }
                if let onDisk = fixture.bytesInWritesInProgress() { #expect(onDisk == (onBodyWorkExecutor ? 600 : 0)) }
                for writer in writers { try await writer.finish() }
                for id in ids { #expect(try await fixture.read(id).bytes == [1, 2, 3]) }
            }
        }
    }

    @Test("nothing is visible under blobs/ before finish, and one file is in tmp/")
    func invisibleUntilFinished() async throws {
        try await BlobFixture.with { fixture in
            var source = TestBytes(seed: 42)
            let id = FileID.random()
            let writer = try await fixture.store.makeWriter(for: id)
            var written: [UInt8] = []
            for size in [10, 200_000, 5, 131_072, 3] {
                let chunk = source.next(size)
                written += chunk
                try await writer.write(ByteBuffer(bytes: chunk))

                await #expect(throws: (any Error).self) { try await fixture.read(id) }
                #expect(try await fixture.visitedIDs().isEmpty)
                #expect(try fixture.filesUnderBlobs().isEmpty)
                try fixture.expectOneWriteInProgress()
            }

            try await writer.finish()
            try fixture.expectNoWriteInProgress()
            #expect(try await fixture.read(id).bytes == written)
            #expect(try await fixture.visitedIDs() == [id])
        }
    }

    @Test("finish creates a missing fan-out directory, reuses an existing one, and fails where a file blocks it")
    func fanOutDirectories() async throws {
        try await BlobFixture.with { fixture in
            let first = try #require(FileID("AAAAAAAAAAAAAAAAAAAAAA"))
            let second = try #require(FileID("AABAAAAAAAAAAAAAAAAAAA"))
            _ = try await fixture.storeBlob([[1, 2, 3]], id: first)
            _ = try await fixture.storeBlob([[4, 5]], id: second)
            #expect(try fixture.filesUnderBlobs() == ["AA/AAAAAAAAAAAAAAAAAAAAAA", "AA/AABAAAAAAAAAAAAAAAAAAA"])
            #expect(try await fixture.read(second).bytes == [4, 5])

            let blocked = try #require(FileID("BBAAAAAAAAAAAAAAAAAAAA"))
            try Data().write(to: fixture.blobsDirectory.appendingPathComponent("BB"))
            let writer = try await fixture.store.makeWriter(for: blocked)
            try await writer.write(ByteBuffer(bytes: [6]))
            await #expect(throws: Errno.notDirectory) { try await writer.finish() }
            await #expect(throws: (any Error).self) { try await fixture.read(blocked) }
            await writer.abort()  // as the upload pipeline does after a failed finish
            try fixture.expectNoWriteInProgress()
        }
    }

    @Test("abort removes the temporary file and leaves blobs/ empty")
    func abort() async throws {
        try await BlobFixture.with { fixture in
            var source = TestBytes(seed: 9)
            let id = FileID.random()
            let writer = try await fixture.store.makeWriter(for: id)
            for size in [1, 300_000, 17] {
                try await writer.write(ByteBuffer(bytes: source.next(size)))
            }
            try fixture.expectOneWriteInProgress()
            await writer.abort()

            try fixture.expectNoWriteInProgress()
            #expect(try fixture.filesUnderBlobs().isEmpty)
            #expect(try await fixture.visitedIDs().isEmpty)
            await #expect(throws: (any Error).self) { try await fixture.read(id) }

            // A writer that never wrote aborts cleanly too.
            let idle = try await fixture.store.makeWriter(for: .random())
            await idle.abort()
            try fixture.expectNoWriteInProgress()

            // The aborted id can still be written afterwards.
            let retry = source.next(1000)
            _ = try await fixture.storeBlob([retry], id: id)
            #expect(try await fixture.read(id).bytes == retry)
        }
    }

    @Test("delete removes one blob; deleting a missing blob does not throw")
    func delete() async throws {
        try await BlobFixture.with { fixture in
            var source = TestBytes(seed: 3)
            let doomedBytes = source.next(150_000)
            let keptBytes = source.next(2000)
            let doomed = try await fixture.storeBlob([doomedBytes])
            let kept = try await fixture.storeBlob([keptBytes])

            try await fixture.store.delete(doomed)
            await #expect(throws: (any Error).self) { try await fixture.read(doomed) }
            #expect(try await fixture.visitedIDs() == [kept])
            #expect(try fixture.filesUnderBlobs() == ["\(kept.rawValue.prefix(2))/\(kept.rawValue)"])
            #expect(try await fixture.read(kept).bytes == keptBytes)

            try await fixture.store.delete(doomed)
            try await fixture.store.delete(.random())
            try await fixture.store.delete(kept)
            #expect(try await fixture.visitedIDs().isEmpty)
            #expect(try fixture.filesUnderBlobs().isEmpty)
        }
    }

    @Test("removeLeftovers empties tmp/ and counts what it removed")
    func removeLeftovers() async throws {
        try await BlobFixture.with { fixture in
            let finished = try await fixture.storeBlob([[1, 2, 3]])
            #expect(try await fixture.store.removeLeftovers() == 0)

            for name in ["\(FileID.random().rawValue)-\(FileID.random().rawValue)", "crashed-write", "x"] {
                let path = fixture.temporaryDirectory.appendingPathComponent(name).path
                #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 0xAB, count: 4096)))
            }
            // And one real unfinished write, which is only visible where the file system cannot
            // create unnamed files (see `BlobFixture.openFiles(under:)`).
            let writer = try await fixture.store.makeWriter(for: .random())
            try await writer.write(ByteBuffer(bytes: [UInt8](repeating: 1, count: 200_000)))
            let leftovers = try fixture.entries(of: fixture.temporaryDirectory).count
            #expect(leftovers == 3 || leftovers == 4)

            #expect(try await fixture.store.removeLeftovers() == leftovers)
            #expect(try fixture.entries(of: fixture.temporaryDirectory).isEmpty)
            #expect(try await fixture.read(finished).bytes == [1, 2, 3])
            #expect(try await fixture.visitedIDs() == [finished])
            #expect(try await fixture.store.removeLeftovers() == 0)
            await writer.abort()
        }
    }

    @Test("forEachBlob visits exactly the finished blobs, once each")
    func forEachBlob() async throws {
        try await BlobFixture.with { fixture in
            #expect(try await fixture.visitedIDs().isEmpty)
            var finished: [FileID] = []
            for index in 0..<6 {
                finished.append(try await fixture.storeBlob([[UInt8(index)]]))
            }
            let aborted = try await fixture.store.makeWriter(for: .random())
            try await aborted.write(ByteBuffer(bytes: [9, 9]))
            await aborted.abort()
            let running = try await fixture.store.makeWriter(for: .random())
            try await running.write(ByteBuffer(bytes: [7]))
            let deleted = finished.removeLast()
            try await fixture.store.delete(deleted)

            // A stray file that is no blob is skipped.
            let fanOut = fixture.blobsDirectory.appendingPathComponent(String(finished[0].rawValue.prefix(2)))
            #expect(FileManager.default.createFile(atPath: fanOut.appendingPathComponent("notes.txt").path, contents: Data()))

            let visited = try await fixture.visitedIDs()
            #expect(visited.count == finished.count)
            #expect(Set(visited) == Set(finished))
            await running.abort()
        }
    }

    @Test("checkHealth passes on a good store and throws once blobs/ is gone")
    func checkHealth() async throws {
        try await BlobFixture.with { fixture in
            try await fixture.store.checkHealth()
            _ = try await fixture.storeBlob([[1]])
            try await fixture.store.checkHealth()

            try FileManager.default.removeItem(at: fixture.blobsDirectory)
            let error = await #expect(throws: SluiceError.self) { try await fixture.store.checkHealth() }
            if case .unavailable = error {} else { Issue.record("expected .unavailable, got \(String(describing: error))") }

            // A regular file where the directory should be is no better.
            #expect(FileManager.default.createFile(atPath: fixture.blobsDirectory.path, contents: Data([1])))
            await #expect(throws: SluiceError.self) { try await fixture.store.checkHealth() }
        }
    }

    @Test("a 64 MiB blob written in 64 KiB chunks reads back with the same SHA-256")
    func largeBlob() async throws {
        try await BlobFixture.with { fixture in
            let chunkSize = 64 * 1024
            let chunkCount = 1024
            var source = TestBytes(seed: 0xB16B10B)
            let base = source.next(chunkSize)
            // Each chunk starts with its own index, so a lost, repeated or reordered chunk shows.
            func chunk(_ index: Int) -> [UInt8] {
                var bytes = base
                withUnsafeBytes(of: UInt64(index).littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
                return bytes
            }

            let id = FileID.random()
            let writer = try await fixture.store.makeWriter(for: id)
            var written = SHA256()
            for index in 0..<chunkCount {
                let bytes = chunk(index)
                written.update(data: bytes)
                try await writer.write(ByteBuffer(bytes: bytes))
            }
            try await writer.finish()
            let writtenDigest = written.finalize()

            var read = SHA256()
            var readCount = 0
            try await fixture.store.read(id, range: nil) { buffer in
                readCount += buffer.readableBytes
                buffer.withUnsafeReadableBytes { read.update(bufferPointer: $0) }
            }
            #expect(readCount == chunkSize * chunkCount)
            #expect(read.finalize() == writtenDigest)

            // Ranges across a chunk boundary in the middle and at the very end.
            let total = Int64(chunkSize * chunkCount)
            let boundary = Int64(chunkSize * 512)
            let middle = try await fixture.read(id, range: (boundary - 10)...(boundary + 9)).bytes
            #expect(middle == Array(chunk(511)[(chunkSize - 10)...] + chunk(512)[..<10]))
            let end = try await fixture.read(id, range: (total - 100)...(total - 1)).bytes
            #expect(end == Array(chunk(chunkCount - 1)[(chunkSize - 100)...]))
        }
    }
}
