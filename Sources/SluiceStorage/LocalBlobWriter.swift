import Foundation
import Logging
import NIOCore
import NIOFileSystem
import SluiceCore

/// Writes one blob to a temporary file, then fsyncs it and renames it into place.
///
/// Small chunks (as a slow client sends them) are gathered into one buffer of up to
/// ``coalescingLimit`` bytes before a write; the buffer is released after each write, so an
/// idle upload holds no memory. Chunks at least that large go straight to the file.
final class LocalBlobWriter: BlobWriter {
    static let coalescingLimit = 128 * 1024

    private let handle: WriteFileHandle
    private let temporaryPath: FilePath
    private let finalPath: FilePath
    private let fileSystem: FileSystem
    private let logger: Logger
    private var pending: ByteBuffer?
    private var offset: Int64 = 0
    private var closed = false

    init(handle: WriteFileHandle, temporaryPath: FilePath, finalPath: FilePath, fileSystem: FileSystem, logger: Logger) {
        self.handle = handle
        self.temporaryPath = temporaryPath
        self.finalPath = finalPath
        self.fileSystem = fileSystem
        self.logger = logger
    }

    /// A writer dropped without `finish` or `abort` (its task was cancelled mid-way) still
    /// closes its descriptor and removes its temporary file.
    deinit {
        guard !closed else { return }
        if let descriptor = try? handle.detachUnsafeFileDescriptor() { try? descriptor.close() }
        try? FileManager.default.removeItem(atPath: temporaryPath.string)
        logger.warning("an unfinished write was dropped", metadata: ["path": "\(temporaryPath)"])
    }

    func write(_ chunk: ByteBuffer) async throws {
        if pending == nil && chunk.readableBytes >= Self.coalescingLimit {
            try await writeToFile(chunk)
            return
        }
        var buffer = pending ?? ByteBufferAllocator().buffer(capacity: Self.coalescingLimit)
        var chunk = chunk
        buffer.writeBuffer(&chunk)
        if buffer.readableBytes >= Self.coalescingLimit {
            pending = nil
            try await writeToFile(buffer)
        } else {
            pending = buffer
        }
    }

    func finish() async throws {
        try await LocalBlobStore.mapErrors {
            if let pending {
                self.pending = nil
                try await writeToFile(pending)
            }
            try await handle.synchronize()
            try await handle.close()
            closed = true
            let directory = finalPath.removingLastComponent()
            try await LocalBlobStore.createDirectoryIfMissing(directory, fileSystem: fileSystem)
            try await fileSystem.moveItem(at: temporaryPath, to: finalPath)
            try await fileSystem.withDirectoryHandle(atPath: directory) { try await $0.synchronize() }
        }
    }

    func abort() async {
        pending = nil
        do {
            if !closed {
                try await handle.close()
                closed = true
            }
            try await fileSystem.removeItem(at: temporaryPath, strategy: .platformDefault, recursively: false)
        } catch {
            logger.error("could not remove an aborted write", metadata: ["path": "\(temporaryPath)", "error": "\(error)"])
        }
    }

    private func writeToFile(_ buffer: ByteBuffer) async throws {
        let written = try await LocalBlobStore.mapErrors {
            try await handle.write(contentsOf: buffer, toAbsoluteOffset: offset)
        }
        offset += written
    }
}
