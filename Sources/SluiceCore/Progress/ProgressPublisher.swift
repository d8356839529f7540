/// Where uploads report their progress and watchers follow it, by progress key.
///
/// ``LocalProgressHub`` serves one process; instances that share a database can implement this
/// over the database's notifications without touching uploads or watchers.
public protocol ProgressPublisher: Sendable {
    /// Claims `key` for a new single-request upload; throws ``SluiceError/progressKeyInUse``
    /// while another upload runs under it. A key whose upload ended can be claimed again.
    func claim(_ key: String, total: Int64?) throws

    /// Publishes `update` under `key`. `received` never goes back; after a final update the key
    /// changes only when claimed again.
    func publish(_ key: String, _ update: ProgressUpdate)

    /// The updates of `key`: the current one at once if there is one, then each newer one.
    /// A watcher that reads slowly skips to the newest; the stream ends after the final update.
    func watch(_ key: String) -> AsyncStream<ProgressUpdate>

    /// Whether any upload has published under `key` (and its final state is still kept).
    func isKnown(_ key: String) -> Bool
}
