/// One upload's side of the hub: counts stored bytes and publishes them at most every
/// ``interval``, and always the final state.
public struct ProgressReporter: Sendable {
    /// Updates closer together than this are not published (watchers get ~10 a second anyway).
    public static let interval = Duration.milliseconds(50)

    let hub: any ProgressPublisher
    /// The key watchers use.
    public let key: String
    private var update: ProgressUpdate
    private var lastPublished: ContinuousClock.Instant?

    /// Starts reporting under `key` from `received` bytes of `total`. With `claiming` the key must
    /// be free (single-request uploads); a resumable upload reports under its own key each time.
    public init(hub: any ProgressPublisher, key: String, received: Int64 = 0, total: Int64?, claiming: Bool) throws {
        if claiming { try hub.claim(key, total: total) }
        self.hub = hub
        self.key = key
        self.update = ProgressUpdate(received: received, total: total)
        publishIfDue(force: !claiming)
    }

    /// Counts `count` more stored bytes.
    public mutating func advance(by count: Int) {
        update.received += Int64(count)
        publishIfDue(force: false)
    }

    /// Publishes the current count now (at the end of a request that is not the upload's end).
    public mutating func flush() {
        publishIfDue(force: true)
    }

    /// The upload is complete under `url` (and `urls` for several files).
    public func finish(url: String, urls: [String]? = nil) {
        var final = update
        final.state = .done
        final.url = url
        final.urls = urls
        if let total = final.total { final.received = max(final.received, total) }
        hub.publish(key, final)
    }

    /// The upload failed for good.
    public func fail(_ reason: String) {
        var final = update
        final.state = .failed
        final.error = reason
        hub.publish(key, final)
    }

    private mutating func publishIfDue(force: Bool) {
        let now = ContinuousClock.now
        if !force, let lastPublished, now - lastPublished < Self.interval { return }
        lastPublished = now
        hub.publish(key, update)
    }
}
