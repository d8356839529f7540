import Testing

import CLinux
import Foundation
import Glibc
import SluiceCore

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
        try await BlobFixture.with { fixture in
            var source = TestBytes(seed: 0xD15C)
            let bytes = source.next(200_000)
            let id = try await fixture.storeBlob([bytes])
            let path = fixture.blobsDirectory.appendingPathComponent(String(id.rawValue.prefix(2)))
                .appendingPathComponent(id.rawValue).path
            // Dropped pages make the first read refuse, and the store read it on a file thread
            // (unless the kernel's readahead, started by that refusal, was quicker: either way
            // the bytes must be exact).
            Self.dropPages(path)
            let part = try await fixture.read(id, range: 10_000...74_999)
            #expect(part.bytes == Array(bytes[10_000...74_999]))
            Self.dropPages(path)
            let whole = try await fixture.read(id)
            #expect(whole.bytes == bytes)
        }
    }

    /// Writes the file's pages to disk and asks the kernel to drop them from memory.
    static func dropPages(_ path: String) {
        let descriptor = open(path, O_RDONLY)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        #expect(fsync(descriptor) == 0)
        #expect(posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED) == 0)
    }

    /// What `clinux_read_cached` of 4096 bytes at `offset` answers right after the file's pages
    /// were dropped; tried up to 50 times while it still finds them (with other tests running, a
    /// page can sit in a per-CPU batch for a moment and survive one drop).
    static func firstReadAfterDroppingPages(_ path: String, descriptor: Int32, offset: Int64) -> Int64 {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var answer: Int64 = 0
        for _ in 0..<50 {
            dropPages(path)
            answer = clinux_read_cached(descriptor, &buffer, 4096, offset)
            if answer == -Int64(EAGAIN) { break }
            usleep(20_000)
        }
        return answer
    }
}
