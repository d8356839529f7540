import Foundation
import Logging
import NIOCore
import NIOFileSystem
import NIOPosix
import SluiceCore

/// A blob being written to a file of its own, then fsynced and renamed into `blobs/`.
///
/// Two kinds: the temporary file of a single-request upload, removed when abandoned; and the
/// partial blob of a resumable upload, a named file kept when the writer lets go, to be resumed.
final class LocalBlobFile: BlobWriter, PartialBlobWriter {
    enum Kind { case temporary, partial }

    private let kind: Kind
    private let appender: FileAppender
    private let path: FilePath
    private let finalPath: FilePath
    private let fileSystem: FileSystem
    private let threads: NIOThreadPool
    private let logger: Logger
    private var closed = false

    init(
        _ kind: Kind, handle: WriteFileHandle, length: Int64, path: FilePath, finalPath: FilePath, fileSystem: FileSystem,
        threads: NIOThreadPool, buffers: WriteBuffers, logger: Logger
    ) {
        self.kind = kind
        self.appender = FileAppender(handle: handle, offset: length, buffers: buffers)
        self.path = path
        self.finalPath = finalPath
        self.fileSystem = fileSystem
        self.threads = threads
        self.logger = logger
    }

    /// A writer dropped unfinished (its task was cancelled mid-way) still closes its descriptor,
    /// and removes a temporary file.
    deinit {
        guard !closed else { return }
        closeDescriptor()
        if kind == .temporary {
            try? FileManager.default.removeItem(atPath: path.string)
            logger.warning("an unfinished write was dropped", metadata: ["path": "\(path)"])
        }
    }

    func write(_ chunk: ByteBuffer) async throws {
        try await appender.append(chunk)
    }

    /// The file itself is all the state there is.
    var storeState: String? { nil }

    func checkpoint() async throws -> Int64 {
        try await appender.synchronize()
        return appender.offset
    }

    func finish() async throws {
        try await complete()
    }

    func complete() async throws {
        try await appender.synchronize()
        try await appender.handle.close()
        closed = true
        try await LocalBlobStore.moveIntoPlace(path, to: finalPath, threads: threads)
    }

    func abort() async {
        await close()
        do {
            try await fileSystem.removeItem(at: path, strategy: .platformDefault, recursively: false)
        } catch {
            logger.error("could not remove an aborted write", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    func close() async {
        guard !closed else { return }
        appender.dropPending()
        do {
            try await appender.handle.close()
        } catch {
            // Cancelled or failed: the descriptor must still go.
            logger.warning("could not close a blob file", metadata: ["path": "\(path)", "error": "\(error)"])
            closeDescriptor()
        }
        closed = true
    }

    /// Closes the file synchronously, for when the handle's own `close` cannot run.
    private func closeDescriptor() {
        if let descriptor = try? appender.handle.detachUnsafeFileDescriptor() { try? descriptor.close() }
    }
}
