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
    @Test("clinux_read_cached reads what is in memory, stops at the end, refuses what is on disk only")
    func readCached() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-cached-read-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("blob").path
        var source = TestBytes(seed: 0xCAC4E)
        let bytes = source.next(100_000)
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        var buffer = [UInt8](repeating: 0, count: 100_000)
        #expect(clinux_read_cached(path, 0, &buffer, 100_000) == 100_000)
        #expect(buffer == bytes)
        #expect(clinux_read_cached(path, 99_000, &buffer, 4096) == 1000)
        #expect(Array(buffer[0..<1000]) == Array(bytes[99_000...]))
        // A name the kernel has not looked up yet needs the disk; once known missing, it is not found.
        #expect(clinux_read_cached(path + "-missing", 0, &buffer, 10) == -Int64(EAGAIN))
        #expect(access(path + "-missing", F_OK) == -1)
        #expect(clinux_read_cached(path + "-missing", 0, &buffer, 10) == -Int64(ENOENT))

        Self.dropFromPageCache(path)
        #expect(clinux_read_cached(path, 50_000, &buffer, 4096) == -Int64(EAGAIN))
    }

    @Test("LocalBlobStore reads a range that is on disk only from a file thread")
    func storeFallsBack() async throws {
        try await BlobFixture.with { fixture in
            var source = TestBytes(seed: 0xD15C)
            let bytes = source.next(200_000)
            let id = try await fixture.storeBlob([bytes])
            let path = fixture.blobsDirectory.appendingPathComponent(String(id.rawValue.prefix(2)))
                .appendingPathComponent(id.rawValue).path
            Self.dropFromPageCache(path)
            var probe = [UInt8](repeating: 0, count: 4096)
            #expect(clinux_read_cached(path, 10_000, &probe, 4096) == -Int64(EAGAIN))

            let part = try await fixture.read(id, range: 10_000...74_999)
            #expect(part.bytes == Array(bytes[10_000...74_999]))
        }
    }

    /// Writes the file's pages to disk and asks the kernel to drop them from memory.
    static func dropFromPageCache(_ path: String) {
        let descriptor = open(path, O_RDONLY)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        #expect(fsync(descriptor) == 0)
        #expect(posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED) == 0)
    }
}
