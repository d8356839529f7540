import NIOCore
import NIOFileSystem

/// Appends chunks to one open file, gathering small chunks (as a slow client sends them) into
/// one buffer of up to ``coalescingLimit`` bytes before a write. The buffer is released after
/// each write, so an idle upload holds no memory; chunks at least that large go straight to the file.
final class FileAppender {
    static let coalescingLimit = 128 * 1024

    let handle: WriteFileHandle
    private var pending: ByteBuffer?
    /// Bytes written to the file so far (not counting the pending buffer).
    private(set) var offset: Int64

    init(handle: WriteFileHandle, offset: Int64) {
        self.handle = handle
        self.offset = offset
    }

    /// Bytes handed to ``append(_:)`` so far, written or pending.
    var length: Int64 { offset + Int64(pending?.readableBytes ?? 0) }

    func append(_ chunk: ByteBuffer) async throws {
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
        let written = try await LocalBlobStore.mapErrors {
            try await handle.write(contentsOf: buffer, toAbsoluteOffset: offset)
        }
        offset += written
    }
}
