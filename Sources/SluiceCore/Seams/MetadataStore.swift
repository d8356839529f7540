import Foundation

/// The record of every file: the database that maps a link to its blob. Knows nothing of HTTP.
///
/// Every method is one atomic step, so several requests, and several instances sharing one
/// database, can use the store at once without locks of their own.
///
/// A store belongs to one instance (one server process): the uploads it starts and the leases it
/// takes are marked as that instance's, so a restart clears only its own, and the uploads of an
/// instance that stopped sending ``heartbeat(now:)`` become sweepable.
public protocol MetadataStore: Sendable {
    /// Brings the schema to the newest version; safe to call on every start, from several
    /// instances at once.
    func migrate() async throws

    /// Inserts a new record in state ``FileRecord/State/uploading`` (with its resumable part, if any),
    /// owned by this instance until it completes.
    func insertUploading(_ record: FileRecord) async throws

    /// Stores the final size, digest, times and limits of an uploading record and marks it
    /// complete; from now on it has a link.
    func markComplete(_ record: FileRecord) async throws

    /// Gives one request the exclusive right to append to the resumable upload `id` until
    /// `until`, provided it is unfinished, not expired at `now`, at offset `offset`, and no other
    /// unexpired lease holds it. Returns the record, or `nil` when any of that is not so.
    func acquireUpload(_ id: FileID, offset: Int64, lease: String, until: Date, now: Date) async throws -> FileRecord?

    /// Under `lease`: stores the durable offset (``FileRecord/size``), the resumable state and
    /// the upload's new expiry, and extends the lease to `leaseUntil` (`nil` gives it up). `false`
    /// when the lease was lost or the upload is no longer unfinished.
    func saveProgress(_ record: FileRecord, lease: String, leaseUntil: Date?) async throws -> Bool

    /// Like ``markComplete(_:)`` for a resumable upload, only while `lease` still holds it;
    /// `false` when it does not (taken over or terminated).
    func completeUpload(_ record: FileRecord, lease: String) async throws -> Bool

    /// Gives up `lease` on `id`, if still held.
    func releaseUpload(_ id: FileID, lease: String) async throws

    /// Marks an unfinished resumable upload deleted (terminated or expired), whether or not a
    /// request holds it; `false` if it was not an unfinished resumable upload.
    func abandonUpload(_ id: FileID) async throws -> Bool

    /// The record of `id` in any state, or `nil`.
    func find(_ id: FileID) async throws -> FileRecord?

    /// The record of `id` when the store keeps it in memory, without waiting, so that an event
    /// loop may call it; `nil` when it does not (then ask ``find(_:)``). Stores keep records of
    /// complete files only, and only where no other process writes to their database.
    func keptRecord(_ id: FileID) -> FileRecord?

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

    /// Records the sweeper must remove at `now`: deleted, expired, used up with no download
    /// running, resumable uploads past their expiry that no request holds, and single-request
    /// uploads of other instances not seen for ``instanceTimeout``. At most `limit`.
    func sweepable(now: Date, limit: Int) async throws -> [FileRecord]

    /// Runs `sweep` unless another instance is sweeping right now; `nil` then.
    func sweepExclusively<T: Sendable>(_ sweep: () async throws -> T) async throws -> T?

    /// Records that this instance is alive at `now`; instances not seen for
    /// ``instanceTimeout`` are taken for dead.
    func heartbeat(now: Date) async throws

    /// After a restart of this instance: frees the download slots and upload leases it held
    /// and marks its interrupted single-request uploads deleted (resumable ones stay, to be
    /// resumed). Returns how many uploads were abandoned.
    func recoverAfterRestart() async throws -> Int

    /// Frees the download slots held by instances not seen for ``instanceTimeout`` at `now`.
    func freeDownloadSlots(ofDeadInstancesAt now: Date) async throws

    /// The bytes every record takes: complete files, the durable part of unfinished uploads,
    /// and deleted files whose bytes the sweeper has not removed yet.
    func storedBytes() async throws -> Int64

    /// Throws when the database cannot currently be reached or take a write.
    func checkHealth() async throws
}

extension MetadataStore {
    /// How long an instance may go without a heartbeat before its uploads are taken for dead.
    public var instanceTimeout: TimeInterval { 300 }
}
