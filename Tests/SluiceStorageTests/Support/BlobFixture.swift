import Foundation
import Logging
import NIOCore
import NIOFileSystem
import SluiceCore
import SluiceStorage

/// A `LocalBlobStore` on a fresh temporary directory, removed afterwards.
struct BlobFixture {
    let store: LocalBlobStore
    let root: URL

    var blobsDirectory: URL { root.appendingPathComponent("blobs", isDirectory: true) }
    var temporaryDirectory: URL { root.appendingPathComponent("tmp", isDirectory: true) }

    static let logger: Logger = {
        var logger = Logger(label: "sluice.tests.storage")
        logger.logLevel = .critical
        return logger
    }()

    static func with<T>(
        readChunkSize: Int = 256 * 1024, _ body: (BlobFixture) async throws -> T
    ) async throws -> T {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-storage-tests-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let store = try await LocalBlobStore(root: FilePath(root.path), logger: logger, readChunkSize: readChunkSize)
        return try await body(BlobFixture(store: store, root: root))
    }

    /// Names of the entries directly in `directory`.
    func entries(of directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
    }

    /// Paths, relative to `blobs/`, of every regular file below it.
    func filesUnderBlobs() throws -> [String] {
        var files: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: blobsDirectory.path)
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let full = blobsDirectory.appendingPathComponent(relative).path
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(relative)
            }
        }
        return files.sorted()
    }

    /// Every byte of blob `id` (or of `range`), and the sizes of the chunks they came in.
    func read(_ id: FileID, range: ClosedRange<Int64>? = nil) async throws -> (bytes: [UInt8], chunkSizes: [Int]) {
        var bytes: [UInt8] = []
        var chunkSizes: [Int] = []
        try await store.read(id, range: range) { chunk in
            chunkSizes.append(chunk.readableBytes)
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        return (bytes, chunkSizes)
    }

    /// Every id `forEachBlob` visits, in visiting order.
    func visitedIDs() async throws -> [FileID] {
        var visited: [FileID] = []
        try await store.forEachBlob { visited.append($0) }
        return visited
    }

    /// Writes `chunks` as one blob and finishes it.
    func storeBlob(_ chunks: [[UInt8]], id: FileID = .random()) async throws -> FileID {
        let writer = try await store.makeWriter(for: id)
        for chunk in chunks {
            try await writer.write(ByteBuffer(bytes: chunk))
        }
        try await writer.finish()
        return id
    }
}

/// Deterministic, non-repeating test bytes (xorshift), so a misplaced chunk shows.
struct TestBytes {
    private var state: UInt64

    init(seed: UInt64) { state = seed | 1 }

    mutating func next(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            var word = state
            for _ in 0..<8 where index < count {
                bytes[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        return bytes
    }
}
