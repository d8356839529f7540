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
    public var size: Int64
    /// Lowercase hex SHA-256 of the stored bytes; set once complete.
    public var sha256: String?
    public var deleteTokenHash: String
    public var createdAt: Date
    public var completedAt: Date?
    public var expiresAt: Date?
    public var maxDownloads: Int?
    /// Whole-body downloads served to their last byte.
    public var downloads: Int
    /// Whole-body downloads running now, each holding a slot of `maxDownloads`.
    public var activeDownloads: Int

    public init(
        id: FileID, name: String, contentType: String, state: State, size: Int64, sha256: String?,
        deleteTokenHash: String, createdAt: Date, completedAt: Date?, expiresAt: Date?,
        maxDownloads: Int?, downloads: Int, activeDownloads: Int
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
