import Foundation
import Logging
import NIOCore

/// Uploads that arrive in many requests (the engine behind tus): create one, append to it from
/// any request, process or instance that shares the stores, and on its last byte it becomes an
/// ordinary file with the same record, link, digest and limits as a single-request upload.
///
/// The durable offset is the record's ``FileRecord/size``, saved together with the SHA-256
/// state of exactly those bytes, only after the blob store made them durable. One request at a
/// time appends, holding a lease in the metadata store; a second one gets a conflict.
public struct ResumableUploads: Sendable {
    let blobs: any BlobStore
    let metadata: any MetadataStore
    let clock: any WallClock
    let removal: Removal
    /// The largest file accepted, in bytes.
    public let maxUploadSize: Int64
    /// How long an unfinished upload lives after it was created or last appended to.
    public let expiry: TimeInterval
    /// The total all files may take; `nil` for no limit but the disk's.
    let quota: StorageQuota?
    /// How long an append holds its upload before it must renew the lease; a request stalled
    /// longer than this loses the upload to the next one. It is also how long an upload waits
    /// after the instance appending to it died (a client resuming meanwhile gets 409).
    let leaseDuration: TimeInterval = 20
    /// How often a long append makes its progress durable, so a crash loses at most this much.
    let checkpointInterval: TimeInterval = 5

    public init(
        blobs: any BlobStore, metadata: any MetadataStore, clock: any WallClock, maxUploadSize: Int64,
        expiry: TimeInterval, quota: StorageQuota? = nil, logger: Logger
    ) {
        self.blobs = blobs
        self.metadata = metadata
        self.clock = clock
        self.maxUploadSize = maxUploadSize
        self.expiry = expiry
        self.quota = quota
        self.removal = Removal(blobs: blobs, metadata: metadata, logger: logger)
    }

    /// Creates an empty upload of `length` bytes (`nil`: declared later) and returns its id.
    /// `rawMetadata` is kept to be echoed back; `limits` apply when the upload completes.
    public func create(
        length: Int64?, options: UploadOptions, limits: UploadLimits, rawMetadata: String
    ) async throws -> ResumableUploadID {
        if let length, length > maxUploadSize { throw SluiceError.tooLarge(limit: maxUploadSize) }
        // A declared length that does not fit now is refused at once; the bytes themselves are
        // counted as they arrive.
        try await quota?.admit(expected: length).release()
        let id = ResumableUploadID(fileID: .random(), token: .random())
        let now = clock.now
        let record = FileRecord(
            id: id.fileID, name: options.name ?? id.fileID.rawValue, contentType: options.contentType,
            state: .uploading, size: 0, sha256: nil, deleteTokenHash: id.token.hash, createdAt: now,
            completedAt: nil, expiresAt: now.addingTimeInterval(expiry), maxDownloads: limits.maxDownloads,
            downloads: 0, activeDownloads: 0,
            resumable: ResumableState(
                length: length, metadata: rawMetadata, maxDays: limits.maxDays, digestState: ResumableSHA256().serialized),
            passwordHash: limits.passwordHash
        )
        try await metadata.insertUploading(record)
        return id
    }

    /// The record of the upload `id`, unfinished or complete. Unknown ids, wrong tokens,
    /// terminated uploads and unavailable files are not found; unfinished uploads past their
    /// expiry are gone.
    public func find(_ id: ResumableUploadID) async throws -> FileRecord {
        guard let record = try await metadata.find(id.fileID), record.resumable != nil,
            id.token.matches(hash: record.deleteTokenHash)
        else {
            throw SluiceError.notFound("no such upload")
        }
        let now = clock.now
        switch record.state {
        case .uploading:
            if let expiresAt = record.expiresAt, expiresAt <= now { throw SluiceError.gone("upload expired") }
        case .deleted:
            throw SluiceError.notFound("upload terminated")
        case .complete:
            if let reason = record.unavailability(at: now) { throw SluiceError.notFound(reason.rawValue) }
        }
        return record
    }

    /// Appends one request's body to the upload `id`, which must be at `offset`.
    ///
    /// - Parameters:
    ///   - length: the upload's total length if the request declares it (once only).
    ///   - bodyLength: the body's length when known in advance (a body that would pass the
    ///     upload's length is refused before a byte is read).
    ///   - checksum: when given, the body is kept only if it matches: a mismatch, or a body
    ///     cut short, keeps nothing of it.
    ///   - body: given the upload as it stands (offset, length) and a function to feed, feeds
    ///     the request body to it chunk by chunk; throws ``SluiceError/clientDisconnected`` when
    ///     the body breaks off. Without a checksum, every byte stored before the break is kept.
    /// - Returns: the record after the append; ``FileRecord/State/complete`` with the last byte.
    public func append(
        to id: ResumableUploadID, offset: Int64, length: Int64?, bodyLength: Int64?, checksum: ChunkChecksum?,
        body: (FileRecord, (ByteBuffer) async throws -> Void) async throws -> Void
    ) async throws -> FileRecord {
        let found = try await find(id)
        guard offset == found.size else {
            throw SluiceError.conflict("Upload-Offset \(offset) does not match the upload's offset \(found.size)")
        }
        if found.state == .complete {
            guard bodyLength == 0 else { throw SluiceError.tooLarge(limit: found.size) }
            return found
        }
        let total = try resolvedLength(declared: length, known: found.resumable?.length, offset: offset)
        let limit = total ?? maxUploadSize
        if let bodyLength, bodyLength > limit - offset { throw SluiceError.tooLarge(limit: limit) }

        let charge = try await quota?.admit()
        defer { charge?.release() }
        let lease = RandomToken.make()
        var append = try await begin(id, offset: offset, lease: lease, maximumLength: limit)
        do {
            if total != append.record.resumable?.length {
                append.record.resumable?.length = total
                try await append.save()
            }
            return try await append.run(
                limit: limit, checksum: checksum, checkpointEarly: bodyLength != nil, charge: charge, body: body)
        } catch {
            await append.writer.close()
            try? await metadata.releaseUpload(id.fileID, lease: lease)
            throw error
        }
    }

    /// Terminates an unfinished upload, or deletes the file of a finished one; either way its
    /// bytes are removed at once.
    public func terminate(_ id: ResumableUploadID) async throws {
        let record = try await find(id)
        let hidden =
            record.state == .complete
            ? try await metadata.markDeleted(id.fileID) : try await metadata.abandonUpload(id.fileID)
        guard hidden else { throw SluiceError.notFound("no such upload") }
        await removal.removeNow(id.fileID)
    }

    /// The upload's length after this request: the declared one, which may be given once.
    private func resolvedLength(declared: Int64?, known: Int64?, offset: Int64) throws -> Int64? {
        guard let declared else { return known }
        if let known, known != declared { throw SluiceError.badRequest("Upload-Length cannot change once set") }
        guard declared >= offset else { throw SluiceError.badRequest("Upload-Length is below the upload's offset") }
        guard declared <= maxUploadSize else { throw SluiceError.tooLarge(limit: maxUploadSize) }
        return declared
    }

    /// Takes the lease and opens the partial blob, which will not grow past `maximumLength`.
    private func begin(
        _ id: ResumableUploadID, offset: Int64, lease: String, maximumLength: Int64
    ) async throws -> RunningAppend {
        let now = clock.now
        let leaseUntil = now.addingTimeInterval(leaseDuration)
        guard
            let record = try await metadata.acquireUpload(
                id.fileID, offset: offset, lease: lease, until: leaseUntil, now: now)
        else {
            throw try await whyNotHeld(id, offset: offset)
        }
        do {
            guard let state = record.resumable, let digest = ResumableSHA256(serialized: state.digestState),
                digest.byteCount == record.size
            else {
                throw CorruptUpload(id: id.fileID)
            }
            let writer = try await blobs.openPartial(
                id.fileID, durableLength: record.size, storeState: state.blobState,
                maximumLength: maximumLength)
            var append = RunningAppend(
                uploads: self, id: id, lease: lease, record: record, writer: writer, digest: digest,
                leaseUntil: leaseUntil, lastCheckpoint: now)
            let storeState = writer.storeState
            if storeState != state.blobState {
                // The store started something it must find again (an S3 multipart upload).
                append.record.resumable?.blobState = storeState
                do {
                    try await append.save()
                } catch {
                    await writer.close()
                    throw error
                }
            }
            return append
        } catch {
            try? await metadata.releaseUpload(id.fileID, lease: lease)
            throw error
        }
    }

    /// The error for an upload this request could not (or can no longer) hold.
    fileprivate func whyNotHeld(_ id: ResumableUploadID, offset: Int64) async throws -> SluiceError {
        let current = try await find(id)
        if current.size != offset {
            return .conflict("Upload-Offset \(offset) does not match the upload's offset \(current.size)")
        }
        return .conflict("another request is writing to this upload")
    }
}

/// One request appending to an upload while it holds the lease.
private struct RunningAppend {
    let uploads: ResumableUploads
    let id: ResumableUploadID
    let lease: String
    /// The record as last saved: its size is the durable offset.
    var record: FileRecord
    let writer: any PartialBlobWriter
    /// The SHA-256 state over every byte handed to the writer.
    var digest: ResumableSHA256
    var leaseUntil: Date
    var lastCheckpoint: Date

    /// Bytes handed to the writer, durable or not.
    var written: Int64 { digest.byteCount }

    mutating func run(
        limit: Int64, checksum: ChunkChecksum?, checkpointEarly: Bool, charge: QuotaCharge?,
        body: (FileRecord, (ByteBuffer) async throws -> Void) async throws -> Void
    ) async throws -> FileRecord {
        // Progress may be made durable mid-request only when nothing can still refuse the whole
        // body: no checksum to check at the end, and a known length already checked.
        let keepsPartialBody = checksum == nil
        var chunkHasher = checksum.map(ChunkHasher.init)
        do {
            try await body(record) { chunk in
                guard Int64(chunk.readableBytes) <= limit - written else { throw SluiceError.tooLarge(limit: limit) }
                try charge?.add(Int64(chunk.readableBytes))
                try await keepLease(checkpointing: checkpointEarly)
                chunk.withUnsafeReadableBytes { bytes in
                    digest.update(bufferPointer: bytes)
                    chunkHasher?.update(bytes)
                }
                try await writer.write(chunk)
            }
        } catch SluiceError.clientDisconnected where keepsPartialBody {
            try await checkpoint(releasing: true)
            throw SluiceError.clientDisconnected
        }
        if let chunkHasher, !chunkHasher.matches { throw SluiceError.checksumMismatch }

        if written == record.resumable?.length {
            return try await complete()
        }
        try await checkpoint(releasing: true)
        await writer.close()
        return record
    }

    /// Renews the lease before it runs short, and makes progress durable every few seconds when allowed.
    private mutating func keepLease(checkpointing: Bool) async throws {
        let now = uploads.clock.now
        if checkpointing, now >= lastCheckpoint.addingTimeInterval(uploads.checkpointInterval) {
            try await checkpoint()
        } else if now >= leaseUntil.addingTimeInterval(-uploads.leaseDuration / 2) {
            try await save()
        }
    }

    /// Saves ``record`` under the lease and extends the upload's expiry; extends the lease too,
    /// or gives it up when `releasing`.
    mutating func save(releasing: Bool = false) async throws {
        let now = uploads.clock.now
        record.expiresAt = now.addingTimeInterval(uploads.expiry)
        leaseUntil = now.addingTimeInterval(uploads.leaseDuration)
        guard
            try await uploads.metadata.saveProgress(record, lease: lease, leaseUntil: releasing ? nil : leaseUntil)
        else {
            throw try await uploads.whyNotHeld(id, offset: record.size)
        }
    }

    /// Makes every written byte durable, then records the new offset with its digest state.
    private mutating func checkpoint(releasing: Bool = false) async throws {
        let durable = try await writer.checkpoint()
        precondition(durable == written, "the blob store made \(durable) bytes durable, \(written) were written")
        let storeState = writer.storeState
        record.size = written
        record.resumable?.digestState = digest.serialized
        record.resumable?.blobState = storeState
        lastCheckpoint = uploads.clock.now
        try await save(releasing: releasing)
    }

    /// Records the last byte, puts the blob in place and gives the upload its link. The lease
    /// was just renewed, so no other request can have taken the upload meanwhile; only a
    /// termination can, and then the blob is removed again.
    private mutating func complete() async throws -> FileRecord {
        try await checkpoint()
        try await writer.complete()
        let now = uploads.clock.now
        var completed = record
        completed.sha256 = Hex.encode(digest.finalize())
        completed.state = .complete
        completed.completedAt = now
        completed.expiresAt = record.resumable?.maxDays.map { now.addingTimeInterval($0 * 86_400) }
        completed.resumable?.digestState = []
        completed.resumable?.blobState = nil
        guard try await uploads.metadata.completeUpload(completed, lease: lease) else {
            try? await uploads.blobs.delete(id.fileID)
            throw try await uploads.whyNotHeld(id, offset: record.size)
        }
        return completed
    }
}

/// A stored upload whose digest state does not match its offset: no version of Sluice writes one.
struct CorruptUpload: Error, CustomStringConvertible {
    let id: FileID
    var description: String { "resumable upload \(id) has a corrupt digest state" }
}
