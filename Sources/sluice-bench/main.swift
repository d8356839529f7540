// sluice-bench: measurements behind design choices, run in release:
//   swift run -c release sluice-bench [MiB]
// Today: the two ways to get a resumable upload's SHA-256 (hash each PATCH with a saveable
// state, or hash the stored file once at the end), over the same bytes in one run.
import Crypto
import Foundation
import SluiceCore

let mebibytes = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 1024
let patchSize = 8 << 20
let total = mebibytes << 20

var generator = SystemRandomNumberGenerator()
let patch = (0..<patchSize).map { _ in UInt8.random(in: .min ... .max, using: &generator) }

/// Runs `body` and prints its wall time and throughput over `total` bytes.
func measure(_ label: String, _ body: () throws -> String) rethrows {
    let start = ContinuousClock.now
    let digest = try body()
    let seconds = (ContinuousClock.now - start).seconds
    let rate = Double(total) / seconds / 1_000_000
    print(String(format: "%-58@ %6.2f s %7.0f MB/s  %@", label as NSString, seconds, rate, String(digest.prefix(12)) as NSString))
}

print("\(mebibytes) MiB in PATCHes of \(patchSize >> 20) MiB, \(ProcessInfo.processInfo.activeProcessorCount) cores")

measure("swift-crypto SHA256, one pass in memory (reference)") {
    var hasher = SHA256()
    for _ in 0..<(total / patchSize) { patch.withUnsafeBytes { hasher.update(bufferPointer: $0) } }
    return Hex.encode(hasher.finalize())
}

measure("ResumableSHA256, state saved and restored every PATCH") {
    var saved = ResumableSHA256().serialized
    for _ in 0..<(total / patchSize) {
        guard var hasher = ResumableSHA256(serialized: saved) else { fatalError("state did not restore") }
        patch.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        saved = hasher.serialized
    }
    return Hex.encode(ResumableSHA256(serialized: saved)!.finalize())
}

let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-\(UUID().uuidString)").path
_ = FileManager.default.createFile(atPath: path, contents: nil)
defer { try? FileManager.default.removeItem(atPath: path) }
let writer = FileHandle(forWritingAtPath: path)!
for _ in 0..<(total / patchSize) { writer.write(Data(patch)) }
try writer.synchronize()
try writer.close()

/// Reads the stored file back in PATCH-sized reads and hashes it with swift-crypto.
func rehashStoredFile() throws -> String {
    let reader = FileHandle(forReadingAtPath: path)!
    defer { try? reader.close() }
    var hasher = SHA256()
    while let chunk = try reader.read(upToCount: patchSize), !chunk.isEmpty {
        chunk.withUnsafeBytes { hasher.update(bufferPointer: $0) }
    }
    return Hex.encode(hasher.finalize())
}

try measure("hash once at the end: read back (page cache) + swift-crypto", rehashStoredFile)
if FileManager.default.isWritableFile(atPath: "/proc/sys/vm/drop_caches") {
    sync()
    try "3".write(toFile: "/proc/sys/vm/drop_caches", atomically: false, encoding: .ascii)
    try measure("hash once at the end: read back (from disk) + swift-crypto", rehashStoredFile)
} else {
    print("(not root: the from-disk read-back was not measured)")
}
