import Foundation

/// The record of every file: the database that maps a link to its blob. Knows nothing of HTTP.
///
/// Every method is one atomic step, so several requests (and later several instances) can use
/// the store at once without locks of their own.
public protocol MetadataStore: Sendable {
    /// Brings the schema to the newest version; safe to call on every start.
    func migrate() async throws

    /// Inserts a new record in state ``FileRecord/State/uploading``.
    func insertUploading(_ record: FileRecord) async throws

    /// Stores the final size, digest, times and limits of an uploading record and marks it
    /// complete; from now on it has a link.
    func markComplete(_ record: FileRecord) async throws

    /// The record of `id` in any state, or `nil`.
    func find(_ id: FileID) async throws -> FileRecord?

    /// Removes the record of `id` whatever its state (its blob must already be gone).
    func remove(_ id: FileID) async throws

    /// Marks a complete record deleted, so no request serves it again; `false` if it was not complete.
    func markDeleted(_ id: FileID) async throws -> Bool

    /// Takes one of the record's download slots for a whole-body download; `false` when the file
    /// is not servable at `now` or every slot is spent or held.
    func reserveDownload(_ id: FileID, now: Date) async throws -> Bool

    /// Gives back a slot taken by ``reserveDownload(_:now:)``, counting it as a download when
    /// `completed` (the last byte was sent).
    func releaseDownload(_ id: FileID, completed: Bool) async throws

    /// Records the sweeper must remove at `now`: deleted, expired, and used up with no download
    /// running. At most `limit` of them.
    func sweepable(now: Date, limit: Int) async throws -> [FileRecord]

    /// After a restart: clears download slots held by the previous process and marks its
    /// interrupted uploads deleted. Returns how many uploads were abandoned.
    func recoverAfterRestart() async throws -> Int

    /// Throws when the database cannot currently be reached.
    func checkHealth() async throws
}
