import Testing

import CLinux
import Foundation
import Glibc
import NIOCore
import SluiceCore
import SluiceStorage
import SluiceTestSupport

/// Reads that take bytes from the page cache without waiting for the disk, and what happens
/// when the bytes are not there, on a real file of the disk (ext4 here; tmpfs has no disk to
/// wait for).
@Suite("Reads from the page cache")
struct CachedReadTests {
    @Test("clinux_open_cached and clinux_read_cached read what is in memory and refuse what is on disk only")
    func readCached() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-cached-read-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("blob").path
        var source = TestBytes(seed: 0xCAC4E)
        let bytes = source.next(100_000)
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let descriptor = clinux_open_cached(path)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 100_000)
        #expect(clinux_read_cached(descriptor, &buffer, 100_000, 0) == 100_000)
        #expect(buffer == bytes)
        #expect(clinux_read_cached(descriptor, &buffer, 4096, 99_000) == 1000)
        #expect(Array(buffer[0..<1000]) == Array(bytes[99_000...]))
        #expect(clinux_read_cached(descriptor, &buffer, 4096, 100_000) == 0)

        // A name the kernel has not looked up yet needs the disk; once known missing, it is not found.
        #expect(clinux_open_cached(path + "-missing") == -EAGAIN)
        #expect(access(path + "-missing", F_OK) == -1)
        #expect(clinux_open_cached(path + "-missing") == -ENOENT)

        // Once the pages are gone from memory the call refuses (and starts the kernel's readahead,
        // so the next attempt may find them: only the first read after a drop tells).
        #expect(Self.firstReadAfterDroppingPages(path, descriptor: descriptor, offset: 50_000) == -Int64(EAGAIN))
    }

    @Test("LocalBlobStore reads what is on disk only from a file thread, by range and whole")
    func storeFallsBack() async throws {
        try await Self.withStoredBlob(count: 200_000, seed: 0xD15C) { fixture, id, bytes, path in
            // Dropped pages make the first read refuse, and the store read it on a file thread
            // (unless the kernel's readahead, started by that refusal, was quicker: either way
            // the bytes must be exact).
            #expect(dropCachedPages(path))
            let part = try await fixture.read(id, range: 10_000...74_999)
            #expect(part.bytes == Array(bytes[10_000...74_999]))
            #expect(dropCachedPages(path))
            let whole = try await fixture.read(id)
            #expect(whole.bytes == bytes)
        }
    }

    @Test("A blob opened for sendfile tells what the page cache holds and loads what it does not")
    func openFileLoadsIntoCache() async throws {
        try await Self.withStoredBlob(count: 3_000_000, seed: 0x5E4D) { fixture, id, bytes, path in
            let file = try #require(try await fixture.store.openFile(id))
            defer { file.close() }
            let descriptor = try file.handle.withUnsafeFileDescriptor { $0 }
            _ = Self.read(descriptor, count: 3_000_000)
            #expect(clinux_range_cached(descriptor, 0, 3_000_000) == 1)
            #expect(clinux_range_cached(descriptor, 4095, 2) == 1)

            // Pages dropped (tried again while one survives in a per-CPU batch) are reported
            // missing, and loading a range brings exactly its bytes back.
            for _ in 0..<50 where clinux_range_cached(descriptor, 0, 3_000_000) != 0 {
                #expect(dropCachedPages(path))
                usleep(20_000)
            }
            #expect(clinux_range_cached(descriptor, 1_000_000, 1_500_000) == 0)
            try await file.loadIntoCache(1_000_000..<2_500_000)
            #expect(clinux_range_cached(descriptor, 1_000_000, 1_500_000) == 1)
            #expect(Self.read(descriptor, count: 3_000_000) == bytes)

            // A file cut short is refused rather than sent past its end.
            #expect(truncate(path, 2_000_000) == 0)
            try await file.loadIntoCache(1_000_000..<2_000_000)
            await #expect(throws: SluiceError.self) { try await file.loadIntoCache(1_500_000..<2_500_000) }
        }
    }

    /// Runs `body` with a store holding one blob of `count` test bytes, and that blob's path.
    static func withStoredBlob(
        count: Int, seed: UInt64, _ body: (BlobFixture, FileID, [UInt8], String) async throws -> Void
    ) async throws {
        try await BlobFixture.with { fixture in
            var source = TestBytes(seed: seed)
            let bytes = source.next(count)
            let id = try await fixture.storeBlob([bytes])
            try await body(fixture, id, bytes, fixture.blobPath(id))
        }
    }

    /// The first `count` bytes of `descriptor`, read with `pread`.
    static func read(_ descriptor: Int32, count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let read = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(done)) }
            guard read > 0 else { break }
            done += read
        }
        return Array(bytes[0..<done])
    }

    /// What `clinux_read_cached` of 4096 bytes at `offset` answers right after the file's pages
    /// were dropped; tried up to 50 times while it still finds them (with other tests running, a
    /// page can sit in a per-CPU batch for a moment and survive one drop).
    static func firstReadAfterDroppingPages(_ path: String, descriptor: Int32, offset: Int64) -> Int64 {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var answer: Int64 = 0
        for _ in 0..<50 {
            #expect(dropCachedPages(path))
            answer = clinux_read_cached(descriptor, &buffer, 4096, offset)
            if answer == -Int64(EAGAIN) { break }
            usleep(20_000)
        }
        return answer
    }
}
