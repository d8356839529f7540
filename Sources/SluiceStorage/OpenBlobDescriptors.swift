import NIOFileSystem
import SluiceCore
import Synchronization

/// Finished blobs kept open for reads from the page cache, so a run of small reads of one blob
/// (a client fetching a video by 64 KiB ranges) costs no `openat2` and no `close` each: those
/// two were 5 % of such a request's CPU.
///
/// At most ``capacity`` blobs stay open. A blob's descriptor is closed when the blob is
/// deleted (``retire(_:)``, called after the file is gone), pushed out by others, or found
/// unread by ``closeIdle()``, and not before the last read that took it is done: a deleted
/// blob holds no disk space once its reads end, and no read ever uses a descriptor number the
/// process has since reused.
final class OpenBlobDescriptors: Sendable {
    /// How many blobs stay open at most.
    let capacity: Int

    /// A kept descriptor; its counts change only under ``state``'s lock.
    private final class Entry: @unchecked Sendable {
        let descriptor: FileDescriptor
        var readers = 0
        var retired = false

        init(descriptor: FileDescriptor) {
            self.descriptor = descriptor
        }
    }

    private struct State: ~Copyable {
        var entries: [FileID: Entry] = [:]
        /// Counts retirements, so a descriptor opened before one is not kept after it.
        var retirements = 0
    }

    private let state = Mutex(State())

    init(capacity: Int = 64) {
        self.capacity = capacity
    }

    /// Runs `read` with a descriptor of blob `id`, kept open from before or opened by `open`;
    /// `nil` when `open` gives none.
    func withDescriptor<Result>(
        _ id: FileID, open: () -> FileDescriptor?, _ read: (FileDescriptor) -> Result
    ) -> Result? {
        let (kept, retirements) = state.withLock { state -> (Entry?, Int) in
            let entry = state.entries[id]
            entry?.readers += 1
            return (entry, state.retirements)
        }
        if let kept {
            defer { release(kept) }
            return read(kept.descriptor)
        }
        guard let opened = open() else { return nil }
        let entry = Entry(descriptor: opened)
        entry.readers = 1
        let isKept = state.withLock { state -> Bool in
            // A blob retired since this open began may already be gone: keeping its
            // descriptor would hold its space.
            guard state.retirements == retirements, state.entries[id] == nil else { return false }
            if state.entries.count >= capacity, let idle = state.entries.first(where: { $0.value.readers == 0 }) {
                Self.retire(idle.key, in: &state)
            }
            guard state.entries.count < capacity else { return false }
            state.entries[id] = entry
            return true
        }
        if !isKept { entry.retired = true }
        defer { release(entry) }
        return read(opened)
    }

    /// Forgets blob `id`: its descriptor closes now or when its last read ends. To be called
    /// once the blob's file is gone.
    func retire(_ id: FileID) {
        state.withLock { state in
            state.retirements += 1
            Self.retire(id, in: &state)
        }
    }

    /// Closes every kept descriptor no read uses now. Called every few seconds, it costs a
    /// busy blob one reopen per call and leaves a quiet process holding no blob open.
    func closeIdle() {
        state.withLock { state in
            for (id, entry) in state.entries where entry.readers == 0 { Self.retire(id, in: &state) }
        }
    }

    /// How many blobs are open now, kept or being read.
    var count: Int { state.withLock { $0.entries.count } }

    private static func retire(_ id: FileID, in state: inout State) {
        guard let entry = state.entries.removeValue(forKey: id) else { return }
        entry.retired = true
        if entry.readers == 0 { try? entry.descriptor.close() }
    }

    private func release(_ entry: Entry) {
        let closes = state.withLock { _ in
            entry.readers -= 1
            return entry.retired && entry.readers == 0
        }
        if closes { try? entry.descriptor.close() }
    }
}
