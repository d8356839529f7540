import Testing

import Foundation
import Logging
import NIOCore
import NIOFileSystem
import SluiceCore
import SluiceStorage
import SluiceTestSupport

/// A `LocalBlobStore` on a fresh temporary directory, removed afterwards.
struct BlobFixture {
    let store: LocalBlobStore
    let root: URL

    var blobsDirectory: URL { root.appendingPathComponent("blobs", isDirectory: true) }
    var temporaryDirectory: URL { root.appendingPathComponent("tmp", isDirectory: true) }

    /// The path of the finished blob of `id`.
    func blobPath(_ id: FileID) -> String {
        blobsDirectory.appendingPathComponent(String(id.rawValue.prefix(2))).appendingPathComponent(id.rawValue).path
    }

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

    /// How many files below `directory` this process holds open, named or not; `nil` where
    /// that cannot be seen.
    ///
    /// NIOFileSystem creates a new file on Linux with `O_TMPFILE` where the file system allows
    /// it, so a write in progress is an unnamed file in `tmp/` that gets its name only when
    /// closed: listing the directory does not show it, its open descriptor does.
    func openFiles(under directory: URL) -> Int? {
        #if os(Linux)
        return openDescriptors(onPathsStartingWith: directory.resolvingSymlinksInPath().path + "/").count
        #else
        return nil
        #endif
    }

    /// The bytes on disk of the writes in progress in `tmp/` (open files, named or not); `nil`
    /// where that cannot be seen.
    func bytesInWritesInProgress() -> Int? {
        #if os(Linux)
        return openDescriptors(onPathsStartingWith: temporaryDirectory.resolvingSymlinksInPath().path + "/")
            .compactMap { descriptor -> Int? in
                var info = stat()
                return stat("/proc/self/fd/\(descriptor)", &info) == 0 ? Int(info.st_size) : nil
            }
            .reduce(0, +)
        #else
        return nil
        #endif
    }

    /// Checks that exactly one write is in progress in `tmp/`, and nothing else is there.
    func expectOneWriteInProgress(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let visible = try entries(of: temporaryDirectory)
        if let open = openFiles(under: temporaryDirectory) {
            #expect(open == 1, "open files in tmp/", sourceLocation: sourceLocation)
            #expect(visible.count <= 1, "visible files in tmp/: \(visible)", sourceLocation: sourceLocation)
        } else {
            #expect(visible.count == 1, "visible files in tmp/: \(visible)", sourceLocation: sourceLocation)
        }
    }

    /// Checks that no write is in progress or left behind in `tmp/`.
    func expectNoWriteInProgress(sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try entries(of: temporaryDirectory).isEmpty, "visible files in tmp/", sourceLocation: sourceLocation)
        if let open = openFiles(under: temporaryDirectory) {
            #expect(open == 0, "open files in tmp/", sourceLocation: sourceLocation)
        }
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

extension LocalBlobStore {
    /// A writer with no length bound: the local store does not use one.
    func makeWriter(for id: FileID) async throws -> any BlobWriter {
        try await makeWriter(for: id, maximumLength: .max)
    }

    /// Opens a partial blob the way the local store always does: no store state, no bound.
    func openPartial(_ id: FileID, durableLength: Int64) async throws -> any PartialBlobWriter {
        try await openPartial(id, durableLength: durableLength, storeState: nil, maximumLength: .max)
    }
}
