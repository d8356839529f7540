import Testing

import Foundation
import Glibc
import NIOCore
import NIOFileSystem
import SluiceCore
import SluiceTestSupport

@testable import SluiceStorage

/// The descriptors `LocalBlobStore.readIfCached` keeps open between reads: kept, bounded, and
/// closed once their blob is deleted, never while a read still uses them. Open descriptors are
/// counted through `/proc/self/fd`.
@Suite("Blobs kept open between cached reads")
struct OpenBlobDescriptorsTests {
    @Test("readIfCached keeps a blob open across reads and lets go of it when the blob is deleted")
    func keptUntilDeleted() async throws {
        try await CachedReadTests.withStoredBlob(count: 200_000, seed: 0x0BE2) { fixture, id, bytes, _ in
            _ = try await fixture.read(id)  // pages into the cache
            for range in [0...65_535, 100_000...164_999, 199_999...199_999] {
                let read = try #require(fixture.store.readIfCached(id, range: Int64(range.lowerBound)...Int64(range.upperBound)))
                #expect(Array(buffer: read) == Array(bytes[range]))
            }
            #expect(fixture.openFiles(under: fixture.blobsDirectory) == 1)
            try await fixture.store.delete(id)
            #expect(fixture.openFiles(under: fixture.blobsDirectory) == 0)
            #expect(fixture.store.readIfCached(id, range: 0...99) == nil)
        }
    }

    @Test("No more blobs than the capacity stay open")
    func bounded() async throws {
        try await BlobFixture.with { fixture in
            let capacity = fixture.store.openBlobs.capacity
            var ids: [FileID] = []
            for index in 0..<(capacity + 6) {
                ids.append(try await fixture.storeBlob([Array(repeating: UInt8(index % 256), count: 1000)]))
            }
            for (index, id) in ids.enumerated() {
                _ = try await fixture.read(id)
                let read = try #require(fixture.store.readIfCached(id, range: 0...999))
                #expect(Array(buffer: read) == Array(repeating: UInt8(index % 256), count: 1000))
            }
            #expect(fixture.openFiles(under: fixture.blobsDirectory) == capacity)
            for id in ids { try await fixture.store.delete(id) }
            #expect(fixture.openFiles(under: fixture.blobsDirectory) == 0)
        }
    }

    @Test("A blob retired while a read uses it stays open until that read ends")
    func retiredDuringARead() throws {
        try Self.withFile { path in
            let descriptors = OpenBlobDescriptors(capacity: 4)
            let id = FileID.random()
            let first = descriptors.withDescriptor(id, open: { Self.open(path) }) { Self.firstByte($0) }
            #expect(first == 0x42)
            #expect(openDescriptors(onPathsStartingWith: path).count == 1)
            let during = descriptors.withDescriptor(id, open: { nil }) { descriptor in
                descriptors.retire(id)
                return Self.firstByte(descriptor)
            }
            #expect(during == 0x42)
            #expect(openDescriptors(onPathsStartingWith: path).count == 0)
            #expect(descriptors.count == 0)
        }
    }

    @Test("closeIdle closes the descriptors no read uses, and the others once their reads end")
    func closeIdle() throws {
        try Self.withFile { path in
            let descriptors = OpenBlobDescriptors(capacity: 4)
            let idle = FileID.random()
            let busy = FileID.random()
            _ = descriptors.withDescriptor(idle, open: { Self.open(path) }) { Self.firstByte($0) }
            let during = descriptors.withDescriptor(busy, open: { Self.open(path) }) { descriptor in
                descriptors.closeIdle()
                #expect(openDescriptors(onPathsStartingWith: path).count == 1)
                return Self.firstByte(descriptor)
            }
            #expect(during == 0x42)
            #expect(descriptors.count == 1)
            descriptors.closeIdle()
            #expect(descriptors.count == 0)
            #expect(openDescriptors(onPathsStartingWith: path).count == 0)
        }
    }

    @Test("A descriptor opened while its blob is being deleted is used once, not kept")
    func openRacingADelete() throws {
        try Self.withFile { path in
            let descriptors = OpenBlobDescriptors(capacity: 4)
            let id = FileID.random()
            let read = descriptors.withDescriptor(
                id,
                open: {
                    let opened = Self.open(path)
                    descriptors.retire(id)  // the delete finishes between this open and its keeping
                    return opened
                }
            ) { Self.firstByte($0) }
            #expect(read == 0x42)
            #expect(descriptors.count == 0)
            #expect(openDescriptors(onPathsStartingWith: path).count == 0)
        }
    }

    private static func withFile(_ body: (String) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-open-blob-\(UUID().uuidString)").path
        try Data([0x42, 0x43]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try body(path)
    }

    private static func open(_ path: String) -> FileDescriptor? {
        try? FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec)
    }

    /// The first byte of the file, or `nil` when the descriptor is not open.
    private static func firstByte(_ descriptor: FileDescriptor) -> UInt8? {
        var byte: UInt8 = 0
        return pread(descriptor.rawValue, &byte, 1, 0) == 1 ? byte : nil
    }
}
