import CLinux
import Foundation
import Glibc
import Logging
import NIOCore
import NIOFileSystem
import NIOPosix
import SluiceCore

/// A ``BlobStore`` on the local disk, under one root directory:
///
/// ```
/// root/blobs/Ab/AbCd…   finished blobs, fanned out by the first two characters of the id
/// root/tmp/              writes in progress; never visible under blobs/ until finished
/// root/partial/AbCd…     resumable uploads in progress, kept across requests and restarts
/// ```
///
/// A write goes to a new file in `tmp/` (on Linux NIO opens it `O_TMPFILE`, so it has no name
/// until closed and a crash leaves nothing), is fsynced, renamed into `blobs/`, and the
/// directory is fsynced, so a finished blob survives a crash and an unfinished one is never
/// mistaken for it.
public struct LocalBlobStore: BlobStore {
    let root: FilePath
    let fileSystem: FileSystem
    /// The threads `fileSystem` runs on, for reads done in one blocking job.
    let threads: NIOThreadPool
    let logger: Logger
    /// Size of the chunks handed to readers.
    let readChunkSize: Int
    /// What the files being written gather before each write.
    let writeBuffers = WriteBuffers()
    /// The blobs ``readIfCached(_:range:)`` keeps open between reads.
    let openBlobs = OpenBlobDescriptors()

    var blobsDirectory: FilePath { root.appending("blobs") }
    var temporaryDirectory: FilePath { root.appending("tmp") }
    var partialDirectory: FilePath { root.appending("partial") }

    /// Creates the store's directories under `root` when they are missing. The file work runs
    /// on `threads`.
    public init(
        root: FilePath, threads: NIOThreadPool = .singleton, logger: Logger, readChunkSize: Int = 256 * 1024
    ) async throws {
        self.root = root
        self.threads = threads
        self.fileSystem = FileSystem(threadPool: threads)
        self.logger = logger
        self.readChunkSize = readChunkSize
        for directory in [blobsDirectory, temporaryDirectory, partialDirectory] {
            try await LocalBlobStore.createDirectoryIfMissing(directory, fileSystem: fileSystem)
        }
    }

    func blobPath(_ id: FileID) -> FilePath {
        blobsDirectory.appending(String(id.rawValue.prefix(2))).appending(id.rawValue)
    }

    public func makeWriter(for id: FileID, maximumLength: Int64) async throws -> any BlobWriter {
        let temporary = temporaryDirectory.appending("\(id.rawValue)-\(FileID.random().rawValue)")
        let handle = try await LocalBlobStore.mapErrors {
            try await fileSystem.openFile(forWritingAt: temporary, options: .newFile(replaceExisting: false))
        }
        return LocalBlobFile(
            .temporary, handle: handle, length: 0, path: temporary, finalPath: blobPath(id), fileSystem: fileSystem,
            threads: threads, buffers: writeBuffers, logger: logger)
    }

    func partialPath(_ id: FileID) -> FilePath { partialDirectory.appending(id.rawValue) }

    /// A local partial blob is a file of its own: it needs no `storeState` and no length bound.
    public func openPartial(
        _ id: FileID, durableLength: Int64, storeState: String?, maximumLength: Int64
    ) async throws -> any PartialBlobWriter {
        let path = partialPath(id)
        let handle = try await LocalBlobStore.mapErrors {
            try await fileSystem.openFile(forWritingAt: path, options: .modifyFile(createIfNecessary: durableLength == 0))
        }
        do {
            let length = try await handle.info().size
            guard length >= durableLength else { throw MissingBytes(path: path, expected: durableLength, found: length) }
            if length > durableLength {
                try await handle.resize(to: .bytes(durableLength))
                try await handle.synchronize()
            }
            if durableLength == 0 {
                try await fileSystem.withDirectoryHandle(atPath: partialDirectory) { try await $0.synchronize() }
            }
        } catch {
            try? await handle.close()
            throw error
        }
        return LocalBlobFile(
            .partial, handle: handle, length: durableLength, path: path, finalPath: blobPath(id), fileSystem: fileSystem,
            threads: threads, buffers: writeBuffers, logger: logger)
    }

    /// Chunks come straight from the page cache while it holds them, read on the calling
    /// thread with calls that refuse rather than wait for the disk (``clinux_open_cached``,
    /// ``clinux_read_cached``); what would wait is read on a file thread. One buffer serves every
    /// chunk once the socket has let go of the previous one, so a download does not allocate
    /// (and fault in) fresh memory for each chunk.
    public func read(
        _ id: FileID,
        range: ClosedRange<Int64>?,
        into consume: (ByteBuffer) async throws -> Void
    ) async throws {
        let path = blobPath(id)
        let descriptor = try await open(path)
        defer { try? descriptor.close() }
        var offset = range?.lowerBound ?? 0
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        while range.map({ offset <= $0.upperBound }) ?? true {
            let length = Int(min(Int64(readChunkSize), range.map { $0.upperBound - offset + 1 } ?? .max))
            buffer.clear(minimumCapacity: length)
            if Self.readCached(descriptor, into: &buffer, length: length, at: offset) < 0 {
                buffer = try await threads.runIfActive { [offset] in try Self.read(descriptor, at: offset, length: length) }
            }
            guard buffer.readableBytes > 0 else {
                guard range == nil else { throw SluiceError.notFound("the file is shorter than its record") }
                return
            }
            offset += Int64(buffer.readableBytes)
            try await consume(buffer)
        }
    }

    public func openFile(_ id: FileID) async throws -> (any BlobFile)? {
        OpenLocalBlob(descriptor: try await open(blobPath(id)), threads: threads)
    }

    public func readIfCached(_ id: FileID, range: ClosedRange<Int64>) -> ByteBuffer? {
        let length = Int(range.count)
        return openBlobs.withDescriptor(id, open: { Self.openCached(blobPath(id)) }) { descriptor in
            var buffer = ByteBufferAllocator().buffer(capacity: length)
            return Self.readCached(descriptor, into: &buffer, length: length, at: range.lowerBound) == length ? buffer : nil
        } ?? nil
    }

    public func closeIdleFiles() {
        openBlobs.closeIdle()
    }

    /// The file at `path` opened for reading: at once when the kernel has its path cached,
    /// else on a file thread.
    private func open(_ path: FilePath) async throws -> FileDescriptor {
        if let cached = Self.openCached(path) { return cached }
        return try await threads.runIfActive { try FileDescriptor.open(path, .readOnly, options: .closeOnExec) }
    }

    /// The file at `path` opened for reading if the kernel has its path cached; `nil` otherwise.
    private static func openCached(_ path: FilePath) -> FileDescriptor? {
        let opened = path.withPlatformString { clinux_open_cached($0) }
        return opened >= 0 ? FileDescriptor(rawValue: opened) : nil
    }

    /// Appends up to `length` bytes at `offset` of `descriptor` to `buffer` from the page cache:
    /// returns the bytes read, 0 at the end of the file, or a negative errno when the pages
    /// are not all cached (nothing appended).
    private static func readCached(
        _ descriptor: FileDescriptor, into buffer: inout ByteBuffer, length: Int, at offset: Int64
    ) -> Int64 {
        var result: Int64 = 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { free in
            result = clinux_read_cached(descriptor.rawValue, free.baseAddress, Int64(length), offset)
            return Int(max(0, result))
        }
        return result
    }

    /// Reads up to `length` bytes at `offset` of `descriptor`, blocking: fewer only at the end of the file.
    private static func read(_ descriptor: FileDescriptor, at offset: Int64, length: Int) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: length)
        while buffer.readableBytes < length {
            let missing = length - buffer.readableBytes
            let position = offset + Int64(buffer.readableBytes)
            let read = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: missing) { free in
                try descriptor.read(fromAbsoluteOffset: position, into: UnsafeMutableRawBufferPointer(rebasing: free.prefix(missing)))
            }
            if read == 0 { break }
        }
        return buffer
    }

    public func delete(_ id: FileID) async throws {
        defer { openBlobs.retire(id) }
        try await fileSystem.removeItem(at: blobPath(id), strategy: .platformDefault, recursively: false)
        try await fileSystem.removeItem(at: partialPath(id), strategy: .platformDefault, recursively: false)
    }

    public func removeLeftovers() async throws -> Int {
        let names = try await Self.list(temporaryDirectory)
        for name in names {
            try await fileSystem.removeItem(at: temporaryDirectory.appending(name), strategy: .platformDefault, recursively: true)
        }
        return names.count
    }

    public func forEachBlob(_ visit: (FileID) async throws -> Void) async throws {
        for subdirectory in try await Self.list(blobsDirectory) {
            try await visitBlobs(in: blobsDirectory.appending(subdirectory), visit)
        }
        try await visitBlobs(in: partialDirectory, visit)
    }

    private func visitBlobs(in directory: FilePath, _ visit: (FileID) async throws -> Void) async throws {
        for name in try await Self.list(directory) {
            if let id = FileID(name) {
                try await visit(id)
            } else {
                logger.warning("ignoring a stray file among the blobs", metadata: ["path": "\(directory.appending(name))"])
            }
        }
    }

    /// Looks at `blobs/` on a thread of its own: on the file threads the check would wait behind
    /// every fsync of a busy disk and report a slow queue as a failure.
    public func checkHealth() async throws {
        guard let info = try await Self.healthChecks.info(forFileAt: blobsDirectory), info.type == .directory else {
            throw SluiceError.unavailable("blob directory \(blobsDirectory) is missing")
        }
    }

    /// The file system of health checks, on one thread started once for the life of the
    /// process. A disk that hangs holds it, and the checks after it time out.
    private static let healthChecks: FileSystem = {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        return FileSystem(threadPool: thread)
    }()

    /// The names in `directory`, read off the event loop.
    static func list(_ directory: FilePath) async throws -> [String] {
        try await NIOThreadPool.singleton.runIfActive {
            try FileManager.default.contentsOfDirectory(atPath: directory.string).sorted()
        }
    }

    static func createDirectoryIfMissing(_ path: FilePath, fileSystem: FileSystem) async throws {
        if try await fileSystem.info(forFileAt: path) == nil {
            try await fileSystem.createDirectory(at: path, withIntermediateDirectories: true)
        }
    }

    /// Renames a durable file to `finalPath` and fsyncs the directory, so the name survives a
    /// crash, in one job on `threads` (as trips of their own, the steps were five per upload).
    /// A fan-out directory the rename finds missing is created first and its parent fsynced,
    /// so the directory survives a crash too.
    static func moveIntoPlace(_ path: FilePath, to finalPath: FilePath, threads: NIOThreadPool) async throws {
        try await mapErrors {
            try await threads.runIfActive {
                let directory = finalPath.removingLastComponent()
                do {
                    try rename(path, to: finalPath)
                } catch let error as Errno where error == .noSuchFileOrDirectory {
                    if mkdir(directory.string, 0o755) != 0, errno != EEXIST { throw Errno(rawValue: errno) }
                    try synchronizeDirectory(directory.removingLastComponent())
                    try rename(path, to: finalPath)
                }
                try synchronizeDirectory(directory)
            }
        }
    }

    private static func rename(_ path: FilePath, to newPath: FilePath) throws {
        guard Glibc.rename(path.string, newPath.string) == 0 else { throw Errno(rawValue: errno) }
    }

    private static func synchronizeDirectory(_ directory: FilePath) throws {
        let descriptor = try FileDescriptor.open(directory, .readOnly, options: [.directory, .closeOnExec])
        try descriptor.closeAfter {
            guard fsync(descriptor.rawValue) == 0 else { throw Errno(rawValue: errno) }
        }
    }

    /// Runs `body`, turning a full disk into ``SluiceError/insufficientStorage``.
    static func mapErrors<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as FileSystemError {
            throw isOutOfSpace(error) ? SluiceError.insufficientStorage : error
        } catch let error as Errno where error == .noSpace || error == .diskQuotaExceeded {
            throw SluiceError.insufficientStorage
        }
    }

    private static func isOutOfSpace(_ error: FileSystemError) -> Bool {
        var cause: (any Error)? = error
        while let current = cause {
            if let call = current as? FileSystemError.SystemCallError {
                return call.errno == .noSpace || call.errno == .diskQuotaExceeded
            }
            cause = (current as? FileSystemError)?.cause
        }
        return false
    }
}

/// A partial blob shorter than the offset its metadata recorded: bytes that were made durable
/// are gone, which only a damaged disk or a hand-edited directory can cause.
struct MissingBytes: Error, CustomStringConvertible {
    let path: FilePath
    let expected: Int64
    let found: Int64
    var description: String { "partial blob \(path) holds \(found) bytes, \(expected) were stored" }
}
