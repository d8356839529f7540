import Foundation

/// Everything the metadata store knows about one file.
///
/// Only a ``State/complete`` record that has not expired and has downloads left is ever served.
public struct FileRecord: Sendable, Equatable {
    /// Where a record is in its life.
    public enum State: String, Sendable {
        /// Bytes are arriving; the file has no link yet. The sweeper may remove it after a crash.
        case uploading
        /// Every byte is durably stored; the link works.
        case complete
        /// Deleted, expired or used up: invisible, waiting for the sweeper to remove its bytes.
        case deleted
    }

    public var id: FileID
    /// The display name: data only, never part of a storage path.
    public var name: String
    public var contentType: String
    public var state: State
    /// The file's size once complete; while a resumable upload runs, its durable offset.
    public var size: Int64
    /// Lowercase hex SHA-256 of the stored bytes; set once complete.
    public var sha256: String?
    public var deleteTokenHash: String
    public var createdAt: Date
    public var completedAt: Date?
    /// When the link stops working; for an unfinished resumable upload, when it is abandoned.
    public var expiresAt: Date?
    public var maxDownloads: Int?
    /// Whole-body downloads served to their last byte.
    public var downloads: Int
    /// Whole-body downloads running now, each holding a slot of `maxDownloads`.
    public var activeDownloads: Int
    /// What a resumable (tus) upload adds; `nil` for a file uploaded in one request.
    public var resumable: ResumableState?
    /// The ``LinkPassword`` hash a download must match; `nil` for a public link.
    public var passwordHash: String?

    public init(
        id: FileID, name: String, contentType: String, state: State, size: Int64, sha256: String?,
        deleteTokenHash: String, createdAt: Date, completedAt: Date?, expiresAt: Date?,
        maxDownloads: Int?, downloads: Int, activeDownloads: Int, resumable: ResumableState? = nil,
        passwordHash: String? = nil
    ) {
        self.id = id
        self.name = name
        self.contentType = contentType
        self.state = state
        self.size = size
        self.sha256 = sha256
        self.deleteTokenHash = deleteTokenHash
        self.createdAt = createdAt
        self.completedAt = completedAt
        self.expiresAt = expiresAt
        self.maxDownloads = maxDownloads
        self.downloads = downloads
        self.activeDownloads = activeDownloads
        self.resumable = resumable
        self.passwordHash = passwordHash
    }

    /// Downloads still allowed, or `nil` when unlimited.
    public var downloadsLeft: Int? { maxDownloads.map { max(0, $0 - downloads) } }

    /// Why this record cannot be served at `now`, or `nil` when it can.
    public func unavailability(at now: Date) -> Unavailability? {
        switch state {
        case .uploading: return .notFound
        case .deleted: return .deleted
        case .complete: break
        }
        if let expiresAt, expiresAt <= now { return .expired }
        if let maxDownloads, downloads >= maxDownloads { return .usedUp }
        return nil
    }

    /// The reasons a known record is not served; each answers 404 with its own text.
    public enum Unavailability: String, Sendable {
        case notFound = "not found"
        case deleted = "deleted"
        case expired = "expired"
        case usedUp = "download limit reached"
    }
}

/// The part of a record only a resumable upload has: what the client declared at creation and
/// the digest state that matches the durable offset (``FileRecord/size``).
public struct ResumableState: Sendable, Equatable {
    /// The declared length; `nil` while the client defers it.
    public var length: Int64?
    /// The `Upload-Metadata` header exactly as the client sent it, to echo back.
    public var metadata: String
    /// The link's lifetime in days, applied when the upload completes.
    public var maxDays: Double?
    /// ``ResumableSHA256/serialized`` over the first ``FileRecord/size`` bytes.
    public var digestState: [UInt8]
    /// The blob store's ``PartialBlobWriter/storeState`` for those bytes.
    public var blobState: String?

    public init(length: Int64?, metadata: String, maxDays: Double?, digestState: [UInt8], blobState: String? = nil) {
        self.length = length
        self.metadata = metadata
        self.maxDays = maxDays
        self.digestState = digestState
        self.blobState = blobState
    }
}
