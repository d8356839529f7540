import SluiceCore
import Synchronization

/// The records of complete files without a download limit, kept in memory by a store that is
/// the only writer of its database (SQLite), so a download need not ask the database first.
///
/// Such a record changes only when the file is deleted or removed, and the store forgets an id
/// whenever it writes to it. A lookup that missed stores what it read only if nothing was
/// forgotten meanwhile (a generation count), so a record read just before a delete and
/// offered just after it is dropped, not kept. At most `capacity` records; past that an
/// arbitrary one makes room.
final class RecordCache: Sendable {
    private struct State {
        var records: [FileID: FileRecord] = [:]
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Whether a record may be kept: one that only a delete or a removal changes.
    static func keeps(_ record: FileRecord) -> Bool {
        record.state == .complete && record.maxDownloads == nil
    }

    /// The kept record of `id`, with the generation to hand to ``offer(_:readAt:)`` on a miss.
    func lookUp(_ id: FileID) -> (record: FileRecord?, generation: UInt64) {
        state.withLock { ($0.records[id], $0.generation) }
    }

    /// Keeps `record`, read from the database when the generation was `generation`, unless an id
    /// was forgotten since.
    func offer(_ record: FileRecord, readAt generation: UInt64) {
        guard Self.keeps(record) else { return }
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.records.count >= capacity, state.records[record.id] == nil {
                state.records.remove(at: state.records.startIndex)
            }
            state.records[record.id] = record
        }
    }

    /// Forgets `id`; call after every write to its row.
    func forget(_ id: FileID) {
        state.withLock { state in
            state.records[id] = nil
            state.generation &+= 1
        }
    }

    /// Forgets every record; call after a write to many rows.
    func forgetAll() {
        state.withLock { state in
            state.records.removeAll()
            state.generation &+= 1
        }
    }
}
