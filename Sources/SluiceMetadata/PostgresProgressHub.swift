import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import SluiceCore
import Synchronization

/// The ``ProgressPublisher`` of instances sharing a PostgreSQL database: progress published on
/// one instance reaches watchers on every other, through PostgreSQL's `LISTEN`/`NOTIFY`.
///
/// Each instance keeps a ``LocalProgressHub``, which its watchers follow. What this instance
/// publishes goes to its hub at once and, at most every ``sendInterval`` per key (and always a
/// claim or a final update), out as a notification; notifications from the other instances are
/// published into the hub as if they were local. Publishing never waits for the database: the
/// outbox keeps the newest few thousand notifications and drops older ones when the database
/// is slow. A notification lost while the listener reconnects is made up for by the next one
/// (updates carry totals, not increments).
public final class PostgresProgressHub: ProgressPublisher, Service {
    /// The channel every instance listens on.
    static let channel = "sluice_progress"
    /// The longest a watcher on another instance waits for fresh progress while bytes flow.
    static let sendInterval: Duration = .milliseconds(200)
    /// PostgreSQL refuses notifications of 8000 bytes or more.
    static let largestPayload = 7900

    private let local: LocalProgressHub
    private let client: PostgresClient
    private let logger: Logger
    /// Tells this instance's own notifications apart when they come back.
    private let origin = FileID.random().rawValue
    private let outbox: AsyncStream<Notice>
    private let outboxInput: AsyncStream<Notice>.Continuation
    private let lastSent = Mutex<[String: ContinuousClock.Instant]>([:])

    /// One notification: an update or a claim of `key`, from instance `origin`.
    struct Notice: Codable, Sendable {
        var origin: String
        var key: String
        var update: ProgressUpdate
        var isClaim: Bool
    }

    /// Shares progress through the database `client` connects to; ``run()`` must run for
    /// progress to cross instances.
    public init(client: PostgresClient, local: LocalProgressHub = LocalProgressHub(), logger: Logger) {
        self.client = client
        self.local = local
        self.logger = logger
        (outbox, outboxInput) = AsyncStream.makeStream(of: Notice.self, bufferingPolicy: .bufferingNewest(4096))
    }

    public func claim(_ key: String, total: Int64?) throws {
        try local.claim(key, total: total)
        send(Notice(origin: origin, key: key, update: ProgressUpdate(received: 0, total: total), isClaim: true))
    }

    public func publish(_ key: String, _ update: ProgressUpdate) {
        local.publish(key, update)
        let now = ContinuousClock.now
        let due = lastSent.withLock { lastSent in
            if update.isFinal {
                lastSent[key] = nil
                return true
            }
            if let last = lastSent[key], now - last < Self.sendInterval { return false }
            lastSent[key] = now
            return true
        }
        if due { send(Notice(origin: origin, key: key, update: update, isClaim: false)) }
    }

    public func watch(_ key: String) -> AsyncStream<ProgressUpdate> {
        local.watch(key)
    }

    public func isKnown(_ key: String) -> Bool {
        local.isKnown(key)
    }

    private func send(_ notice: Notice) {
        outboxInput.yield(notice)
    }

    /// Sends the outbox and listens for the other instances, reconnecting after a failure, until
    /// shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.sendOutbox() }
                group.addTask { await self.listen() }
            }
        }
    }

    private func sendOutbox() async {
        for await var notice in outbox {
            guard var payload = try? String(decoding: JSONEncoder().encode(notice), as: UTF8.self) else { continue }
            if payload.utf8.count > Self.largestPayload {
                // A form of many files: the links do not fit a notification; the state does.
                notice.update.urls = nil
                guard let smaller = try? String(decoding: JSONEncoder().encode(notice), as: UTF8.self) else { continue }
                payload = smaller
            }
            do {
                _ = try await client.query("SELECT pg_notify(\(Self.channel), \(payload))", logger: logger).collect()
            } catch {
                if Task.isCancelled { return }
                logger.warning("could not send progress to other instances", metadata: ["error": "\(error)"])
            }
        }
    }

    private func listen() async {
        var pause: Duration = .milliseconds(100)
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.channel) { notifications in
                        pause = .milliseconds(100)
                        for try await notification in notifications { receive(notification.payload) }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("lost the progress of other instances; listening again", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
    }

    private func receive(_ payload: String) {
        guard let notice = try? JSONDecoder().decode(Notice.self, from: Data(payload.utf8)), notice.origin != origin
        else { return }
        if notice.isClaim {
            try? local.claim(notice.key, total: notice.update.total)
        } else {
            local.publish(notice.key, notice.update)
        }
    }
}
