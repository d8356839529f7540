import Foundation
import Testing

@testable import SluiceServer

/// `MemoryTrimmer` gives memory the allocator kept back to the system.
@Suite struct MemoryTrimmerTests {
    /// Resident memory of this process, in bytes (Linux).
    static func residentBytes() throws -> Int {
        let statm = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
        let pages = try #require(statm.split(separator: " ").dropFirst().first.flatMap { Int($0) })
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    #if canImport(Glibc)
    @Test func freedMemoryLeavesTheProcessOnceTheTrimmerRuns() async throws {
        // 128 MiB in 64 KiB blocks, each followed by a small block that stays: freed, the large
        // ones are holes the heap cannot shrink past, as after a burst of uploads.
        var blocks: [UnsafeMutableRawPointer] = []
        var pins: [UnsafeMutableRawPointer] = []
        for _ in 0..<2048 {
            blocks.append(malloc(64 * 1024)!)
            pins.append(malloc(64)!)
        }
        defer { pins.forEach { free($0) } }
        for block in blocks { memset(block, 0x5A, 64 * 1024) }
        blocks.forEach { free($0) }
        let before = try Self.residentBytes()

        let trimmer = Task { try await MemoryTrimmer(interval: .milliseconds(50)).run() }
        defer { trimmer.cancel() }
        var after = before
        for _ in 0..<40 where before - after < 32 << 20 {
            try await Task.sleep(for: .milliseconds(50))
            after = try Self.residentBytes()
        }
        #expect(before - after >= 32 << 20, "resident before \(before >> 20) MiB, after \(after >> 20) MiB")
    }
    #endif
}
