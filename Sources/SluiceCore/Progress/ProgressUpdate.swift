/// How far one upload got, as watchers see it (API.md "Progress over WebSocket").
public struct ProgressUpdate: Sendable, Equatable, Codable {
    /// Where the upload stands.
    public enum State: String, Sendable, Codable {
        case uploading, done, failed
    }

    /// Bytes stored so far; never decreases.
    public var received: Int64
    /// The declared length, `nil` while unknown.
    public var total: Int64?
    public var state: State
    /// The link, once done.
    public var url: String?
    /// Every file's link, for a form with several files.
    public var urls: [String]?
    /// Why the upload failed.
    public var error: String?

    public init(
        received: Int64, total: Int64?, state: State = .uploading, url: String? = nil, urls: [String]? = nil,
        error: String? = nil
    ) {
        self.received = received
        self.total = total
        self.state = state
        self.url = url
        self.urls = urls
        self.error = error
    }

    /// Whether this is the last update of the upload.
    public var isFinal: Bool { state != .uploading }

    private enum CodingKeys: String, CodingKey {
        case received, total, state, url, urls, error
    }

    /// `total` is always present (`null` while unknown); `url`, `urls` and `error` only when set.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(received, forKey: .received)
        try container.encode(total, forKey: .total)
        try container.encode(state, forKey: .state)
        try container.encodeIfPresent(url, forKey: .url)
        try container.encodeIfPresent(urls, forKey: .urls)
        try container.encodeIfPresent(error, forKey: .error)
    }
}
