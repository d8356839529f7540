import CLinux
import Foundation
import NIOCore
import NIOFileSystem
import SluiceCore

/// Appends chunks to one open file, gathering small chunks (as a slow client sends them) into
/// one buffer before a write, as large as its ``WriteBuffers`` share (128 KiB for a few files,
/// less for many). The buffer is released after each write, so an idle upload holds no memory;
/// chunks at least that large go straight to the file. Running on ``BodyWorkExecutor`` (as
/// the server's uploads do), it writes on the calling thread, and gathers nothing once its
/// share is below the largest; elsewhere it writes on a file thread.
///
/// Large files go to disk while they arrive: every ``writebackWindow`` bytes the appender starts
/// writing the new window back (Linux `sync_file_range`) and waits for the window before it.
/// So at most two windows of a file are dirty at a time, the disk works alongside the network,
/// and the fsync at the end finds little left to write: the answer follows the last byte at once
/// instead of after seconds of writeback, and one upload never fills the page cache with dirty
/// pages that stall every other writer.
final class FileAppender {
    static let writebackWindow: Int64 = 8 << 20

    let handle: WriteFileHandle
    private let buffers: WriteBuffers
    /// Chunks gathered, not yet written; written once its capacity (the limit when it was
    /// allocated) is full.
    private var pending: ByteBuffer?
    /// Bytes written to the file so far (not counting the pending buffer).
    private(set) var offset: Int64
    /// The handle's descriptor, for writes on the calling thread (valid while `handle` is open).
    private var descriptor: FileDescriptor?
    /// Where the window whose writeback was started last begins, and where it ends.
    private var writebackStart: Int64
    private var writebackEnd: Int64

    init(handle: WriteFileHandle, offset: Int64, buffers: WriteBuffers) {
        self.handle = handle
        self.buffers = buffers
        self.offset = offset
        self.writebackStart = offset
        self.writebackEnd = offset
        buffers.opened()
    }

    deinit {
        buffers.closed()
    }

    /// Bytes handed to ``append(_:)`` so far, written or pending.
    var length: Int64 { offset + Int64(pending?.readableBytes ?? 0) }

    func append(_ chunk: ByteBuffer) async throws {
        let limit = buffers.coalescingLimit
        // Written in place, a write costs one system call: a small share of the memory is not
        // worth keeping, chunks go straight to the file.
        if limit < WriteBuffers.largest && BodyWorkExecutor.isPreferred {
            try await flush()
            return try await writeToFile(chunk)
        }
        // Taken out, so that the buffer is the only reference to its storage and is written to
        // in place instead of copied.
        if var buffer = pending.take() {
            if chunk.readableBytes <= buffer.writableBytes {
                var chunk = chunk
                buffer.writeBuffer(&chunk)
                if buffer.writableBytes == 0 { try await writeToFile(buffer) } else { pending = buffer }
                return
            }
            // Never grown: what gathered goes first, the chunk starts afresh.
            try await writeToFile(buffer)
        }
        if chunk.readableBytes >= limit {
            try await writeToFile(chunk)
        } else {
            var buffer = ByteBufferAllocator().buffer(capacity: limit)
            var chunk = chunk
            buffer.writeBuffer(&chunk)
            pending = buffer
        }
    }

    /// Writes the pending buffer and fsyncs the file.
    func synchronize() async throws {
        try await flush()
        try await LocalBlobStore.mapErrors { try await handle.synchronize() }
    }

    /// Writes the pending buffer, without waiting for the disk.
    func flush() async throws {
        guard let pending else { return }
        self.pending = nil
        try await writeToFile(pending)
    }

    /// Forgets bytes not yet written.
    func dropPending() { pending = nil }

    private func writeToFile(_ buffer: ByteBuffer) async throws {
        let written: Int64 = try await LocalBlobStore.mapErrors {
            guard BodyWorkExecutor.isPreferred else {
                return try await handle.write(contentsOf: buffer, toAbsoluteOffset: offset)
            }
            // On a thread that may wait for the disk (the task's first suspension, at the latest
            // the one that fetches the descriptor, brought it there): written here, no trip to
            // a file thread and back.
            let descriptor = try await openDescriptor()
            let offset = self.offset
            return Int64(try buffer.withUnsafeReadableBytes { try descriptor.writeAll(toAbsoluteOffset: offset, $0) })
        }
        offset += written
        if offset - writebackEnd >= Self.writebackWindow { try await writeBack() }
    }

    private func openDescriptor() async throws -> FileDescriptor {
        if let descriptor { return descriptor }
        let opened = try await handle.withUnsafeDescriptor { $0 }
        descriptor = opened
        return opened
    }

    /// Starts the writeback of what was written since the last window and waits for that
    /// window. Best effort: where the call fails, the final fsync still makes the file durable;
    /// only a full disk is reported at once.
    private func writeBack() async throws {
        let previous = (start: writebackStart, length: writebackEnd - writebackStart)
        let next = (start: writebackEnd, length: offset - writebackEnd)
        let failure = try await LocalBlobStore.mapErrors {
            try await handle.withUnsafeDescriptor { descriptor -> Int32 in
                let started = clinux_start_writeback(descriptor.rawValue, next.start, next.length)
                guard previous.length > 0 else { return started }
                return clinux_wait_writeback(descriptor.rawValue, previous.start, previous.length)
            }
        }
        if failure == ENOSPC || failure == EDQUOT { throw SluiceError.insufficientStorage }
        writebackStart = next.start
        writebackEnd = offset
    }
}
