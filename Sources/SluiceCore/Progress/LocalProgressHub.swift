import Foundation
import Synchronization

/// The in-process ``ProgressPublisher``: the latest update of every key, and its watchers.
///
/// Publishing never waits for a watcher: each watcher's stream buffers only the newest update,
/// so a slow or dead watcher costs one update's memory and never slows an upload. A final
/// state is kept for ``retention`` after the upload ended, for watchers that come late.
public final class LocalProgressHub: ProgressPublisher {
    /// How long a final state stays for late watchers.
    public let retention: Duration

    private struct Entry {
        var latest: ProgressUpdate?
        var endedAt: ContinuousClock.Instant?
        var watchers: [UInt64: AsyncStream<ProgressUpdate>.Continuation] = [:]
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var nextWatcher: UInt64 = 0
        var lastPrune = ContinuousClock.now

        /// Forgets final states older than `retention` that nobody watches; at most every few
        /// seconds, so the cost spreads thinly over the calls.
        mutating func prune(olderThan retention: Duration) {
            let now = ContinuousClock.now
            guard now - lastPrune >= min(.seconds(5), retention) else { return }
            lastPrune = now
            entries = entries.filter { _, entry in
                guard let endedAt = entry.endedAt else { return true }
                return now - endedAt < retention || !entry.watchers.isEmpty
            }
        }
    }

    private let state = Mutex(State())

    public init(retention: Duration = .seconds(60)) {
        self.retention = retention
    }

    public func claim(_ key: String, total: Int64?) throws {
        try state.withLock { state in
            state.prune(olderThan: retention)
            if let latest = state.entries[key]?.latest, !latest.isFinal { throw SluiceError.progressKeyInUse }
            var entry = state.entries[key] ?? Entry()
            entry.latest = ProgressUpdate(received: 0, total: total)
            entry.endedAt = nil
            for watcher in entry.watchers.values { watcher.yield(entry.latest!) }
            state.entries[key] = entry
        }
    }

    public func publish(_ key: String, _ update: ProgressUpdate) {
        let ended = state.withLock { state -> [AsyncStream<ProgressUpdate>.Continuation] in
            var entry = state.entries[key] ?? Entry()
            if let latest = entry.latest, latest.isFinal { return [] }
            var update = update
            update.received = max(update.received, entry.latest?.received ?? 0)
            entry.latest = update
            for watcher in entry.watchers.values { watcher.yield(update) }
            var ended: [AsyncStream<ProgressUpdate>.Continuation] = []
            if update.isFinal {
                ended = Array(entry.watchers.values)
                entry.watchers = [:]
                entry.endedAt = .now
            }
            state.entries[key] = entry
            return ended
        }
        // Outside the lock: finishing a stream calls back into `stopWatching`.
        for watcher in ended { watcher.finish() }
    }

    public func watch(_ key: String) -> AsyncStream<ProgressUpdate> {
        let (stream, continuation) = AsyncStream.makeStream(of: ProgressUpdate.self, bufferingPolicy: .bufferingNewest(1))
        let id: UInt64? = state.withLock { state in
            state.prune(olderThan: retention)
            var entry = state.entries[key] ?? Entry()
            if let latest = entry.latest {
                continuation.yield(latest)
                if latest.isFinal {
                    continuation.finish()
                    return nil
                }
            }
            let id = state.nextWatcher
            state.nextWatcher += 1
            entry.watchers[id] = continuation
            state.entries[key] = entry
            return id
        }
        if let id {
            continuation.onTermination = { [weak self] _ in self?.stopWatching(key, id: id) }
        }
        return stream
    }

    public func isKnown(_ key: String) -> Bool {
        state.withLock { $0.entries[key]?.latest != nil }
    }

    /// Keys the hub holds now (running, recently ended, or watched); for tests and metrics.
    public var keyCount: Int { state.withLock { $0.entries.count } }

    private func stopWatching(_ key: String, id: UInt64) {
        state.withLock { state in
            state.entries[key]?.watchers[id] = nil
            if let entry = state.entries[key], entry.latest == nil, entry.watchers.isEmpty {
                state.entries[key] = nil
            }
        }
    }
}
