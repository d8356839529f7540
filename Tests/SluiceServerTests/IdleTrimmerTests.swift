import Foundation
import Logging
import NIOCore
import NIOFileSystem
import SluiceCore
import SluiceStorage
import SluiceTestSupport
import Testing

@testable import SluiceServer

/// `IdleTrimmer` gives memory the allocator kept back to the system and closes the blob files
/// no read uses.
@Suite(.serialized) struct IdleTrimmerTests {
    #if canImport(Glibc)
    /// How many of the pages lying wholly inside `blocks` (each `size` bytes) are in memory,
    /// and how many there are (`mincore`). The blocks may be freed: their addresses are only
    /// asked about, never read.
    static func residentPages(of blocks: [UnsafeMutableRawPointer], size: Int) -> (resident: Int, total: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        var resident = 0
        var total = 0
        for block in blocks {
            let start = (Int(bitPattern: block) + page - 1) / page * page
            let end = (Int(bitPattern: block) + size) / page * page
            guard end > start else { continue }
            var vector = [UInt8](repeating: 0, count: (end - start) / page)
            guard mincore(UnsafeMutableRawPointer(bitPattern: start), end - start, &vector) == 0 else { continue }
            resident += vector.count { $0 & 1 == 1 }
            total += vector.count
        }
        return (resident, total)
    }

    /// Runs `body` on a new thread and waits for its result.
    static func onThreadOfItsOwn<T>(_ body: @escaping @Sendable () -> T) -> T {
        let result = ThreadResult<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            result.value = body()
            done.signal()
        }
        thread.start()
        done.wait()
        return result.value!
    }

    @Test func freedMemoryLeavesTheProcessOnceTheTrimmerRuns() async throws {
        try await Self.expectFreedMemoryHandedBack { blobs in IdleTrimmer(interval: .milliseconds(50), blobs: blobs) }
    }

    /// The 128 MiB freed below grew the process past `growth`: trimmed long before `interval`.
    @Test func aProcessThatGrewIsTrimmedWithoutWaitingForTheInterval() async throws {
        try await Self.expectFreedMemoryHandedBack { blobs in
            IdleTrimmer(interval: .seconds(3600), blobs: blobs, check: .milliseconds(50), growth: 16 << 20)
        }
    }

    /// Runs the trimmer `make` builds while memory is freed, and expects most of it handed back.
    private static func expectFreedMemoryHandedBack(_ make: (LocalBlobStore) -> IdleTrimmer) async throws {
        let root = Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let blobs = try await LocalBlobStore(root: FilePath(root.path), logger: Logger(label: "test"))
        let idleTrimmer = make(blobs)
        let trimmer = Task { try await idleTrimmer.run() }
        defer { trimmer.cancel() }
        // Up to three tries, each on a new thread: glibc gives a thread a heap of its own only
        // while it has fewer than 8 per core, and on a shared one the other tests' allocations
        // may refill the holes before the trimmer runs (seen once in CI). Without the trimmer
        // every try keeps its pages.
        var pages = (resident: 0, total: 0)
        for _ in 0..<3 {
            pages = try await Self.freedPagesAfterTrimming()
            if pages.resident * 2 <= pages.total { break }
        }
        #expect(pages.total > 0)
        #expect(pages.resident * 2 <= pages.total, "\(pages.resident) of \(pages.total) freed pages still in memory")
    }

    @Test func blobFilesKeptOpenCloseOnceTheTrimmerRuns() async throws {
        let root = Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let blobs = try await LocalBlobStore(root: FilePath(root.path), logger: Logger(label: "test"))
        let id = FileID.random()
        let writer = try await blobs.makeWriter(for: id, maximumLength: 1000)
        try await writer.write(ByteBuffer(repeating: 0x7A, count: 1000))
        try await writer.finish()
        try await blobs.read(id, range: nil) { _ in }  // its pages into the cache
        #expect(blobs.readIfCached(id, range: 0...999) == ByteBuffer(repeating: 0x7A, count: 1000))
        let blobsDirectory = root.appendingPathComponent("blobs").resolvingSymlinksInPath().path + "/"
        #expect(openDescriptors(onPathsStartingWith: blobsDirectory).count == 1)

        let trimmer = Task { try await IdleTrimmer(interval: .milliseconds(50), blobs: blobs).run() }
        defer { trimmer.cancel() }
        for _ in 0..<40 where openDescriptors(onPathsStartingWith: blobsDirectory).count > 0 {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(openDescriptors(onPathsStartingWith: blobsDirectory).count == 0)
        #expect(blobs.readIfCached(id, range: 0...999) == ByteBuffer(repeating: 0x7A, count: 1000))
    }

    private static func temporaryRoot() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("sluice-trimmer-\(UUID().uuidString)")
    }

    /// Frees 128 MiB in 64 KiB blocks, each followed by a small block that stays: the large ones
    /// are holes the heap cannot shrink past, as after a burst of uploads. Returns how many of
    /// their pages are still in memory once the trimmer freed at least half, or after 2 s.
    /// Their pages are asked about, not the process's RSS, which other tests running alongside
    /// move. They come from a thread of their own, so from a heap (glibc arena) of their own
    /// where glibc can give one.
    private static func freedPagesAfterTrimming() async throws -> (resident: Int, total: Int) {
        let size = 64 * 1024
        let (blocks, pins) = Self.onThreadOfItsOwn {
            var blocks: [UnsafeMutableRawPointer] = []
            var pins: [UnsafeMutableRawPointer] = []
            for _ in 0..<2048 {
                blocks.append(malloc(size)!)
                pins.append(malloc(64)!)
            }
            for block in blocks { memset(block, 0x5A, size) }
            blocks.forEach { free($0) }
            return (blocks, pins)
        }
        defer { pins.forEach { free($0) } }
        var pages = Self.residentPages(of: blocks, size: size)
        for _ in 0..<40 where pages.resident * 2 > pages.total {
            try await Task.sleep(for: .milliseconds(50))
            pages = Self.residentPages(of: blocks, size: size)
        }
        return pages
    }
    #endif
}

/// What a thread hands back to the one waiting on its semaphore (which orders the accesses).
private final class ThreadResult<T>: @unchecked Sendable {
    var value: T?
}
