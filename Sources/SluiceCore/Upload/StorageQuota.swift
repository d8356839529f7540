import Synchronization

/// The total storage an instance lets files take (`--storage-quota`): what the metadata store
/// counts as stored (every record's size, deleted ones until the sweeper removed their bytes)
/// plus what this instance's running uploads have written so far, checked chunk by chunk.
///
/// Instances sharing a database each see the others' uploads only once they are recorded, so
/// together they may pass the quota by what their concurrent uploads write.
public final class StorageQuota: Sendable {
    /// The most bytes all files together may take.
    public let limit: Int64
    private let metadata: any MetadataStore
    /// Bytes written by this instance's running uploads and not yet recorded.
    private let inFlight = Mutex<Int64>(0)

    public init(limit: Int64, metadata: any MetadataStore) {
        self.limit = limit
        self.metadata = metadata
    }

    /// Lets an upload begin if `expected` more bytes (0 when unknown) fit now; its bytes are then
    /// counted through the returned charge. Throws ``SluiceError/insufficientStorage`` otherwise.
    public func admit(expected: Int64? = nil) async throws -> QuotaCharge {
        let stored = try await metadata.storedBytes()
        let charge = QuotaCharge(quota: self, stored: stored)
        try charge.check(adding: expected ?? 0)
        return charge
    }

    fileprivate func take(_ count: Int64, stored: Int64) throws {
        try inFlight.withLock { running in
            guard stored + running + count <= limit else { throw SluiceError.insufficientStorage }
            running += count
        }
    }

    fileprivate func give(_ count: Int64) {
        inFlight.withLock { $0 -= count }
    }
}

/// The bytes one upload holds of a ``StorageQuota`` while it runs.
///
/// - Important: End every charge with ``release()`` once the upload is recorded or discarded.
public final class QuotaCharge: Sendable {
    private let quota: StorageQuota
    /// What the metadata store counted when the upload began.
    private let stored: Int64
    private let charged = Mutex<Int64>(0)

    fileprivate init(quota: StorageQuota, stored: Int64) {
        self.quota = quota
        self.stored = stored
    }

    /// Whether `count` more bytes would fit, without taking them.
    func check(adding count: Int64) throws {
        try quota.take(count, stored: stored)
        quota.give(count)
    }

    /// Counts `count` more bytes of this upload, or throws ``SluiceError/insufficientStorage``.
    public func add(_ count: Int64) throws {
        try quota.take(count, stored: stored)
        charged.withLock { $0 += count }
    }

    /// Gives back every byte counted: they are now recorded in the metadata store, or discarded.
    public func release() {
        let count = charged.withLock { total in
            defer { total = 0 }
            return total
        }
        quota.give(count)
    }
}
