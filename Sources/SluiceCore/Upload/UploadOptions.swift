/// What names and types an upload, known before its first byte.
public struct UploadOptions: Sendable, Equatable {
    /// The display name (data only); `nil` names the file by its id.
    public var name: String?
    /// The Content-Type to serve the file with.
    public var contentType: String

    public init(name: String?, contentType: String) {
        self.name = name
        self.contentType = contentType
    }
}

/// How long a link lives and who may open it, validated before any byte is stored and applied
/// when the upload completes (a form may send its fields after its files).
public struct UploadLimits: Sendable, Equatable {
    /// The link dies after this many complete downloads; `nil` for no limit.
    public var maxDownloads: Int?
    /// The link dies this many days after the upload completed; `nil` for no limit.
    public var maxDays: Double?
    /// The ``LinkPassword`` hash a download must match; `nil` for a public link.
    public var passwordHash: String?

    public init(maxDownloads: Int? = nil, maxDays: Double? = nil, passwordHash: String? = nil) {
        self.maxDownloads = maxDownloads
        self.maxDays = maxDays
        self.passwordHash = passwordHash
    }
}

/// A finished upload: its record, and the delete token that exists only in this answer.
public struct StoredFile: Sendable {
    public var record: FileRecord
    public var deleteToken: DeleteToken
}
