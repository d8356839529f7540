import Crypto
import Foundation
import NIOCore

/// Turns a stream of body chunks into a stored file: count, enforce the size limit, hash, write,
/// then make it durable and give it a link.
///
/// The record is inserted as `uploading` before the first byte is stored and marked complete
/// only after the blob is durable and in place, so a crash at any point leaves either nothing
/// visible or a complete file.
public struct UploadPipeline: Sendable {
    let blobs: any BlobStore
    let metadata: any MetadataStore
    let clock: any WallClock
    /// The largest file accepted, in bytes.
    public let maxUploadSize: Int64
    /// The total all files may take; `nil` for no limit but the disk's.
    let quota: StorageQuota?

    public init(
        blobs: any BlobStore, metadata: any MetadataStore, clock: any WallClock, maxUploadSize: Int64,
        quota: StorageQuota? = nil
    ) {
        self.blobs = blobs
        self.metadata = metadata
        self.clock = clock
        self.maxUploadSize = maxUploadSize
        self.quota = quota
    }

    /// Starts an upload. Feed it with ``UploadSession/write(_:)``, end it with
    /// ``UploadSession/finish(_:)`` (or ``UploadSession/seal()`` then ``UploadSession/commit(_:)``),
    /// or discard it with ``UploadSession/abort()``.
    /// `expectedLength` is the body's length when the request declares it.
    public func begin(_ options: UploadOptions, expectedLength: Int64? = nil) async throws -> UploadSession {
        let charge = try await quota?.admit(expected: expectedLength)
        let token = DeleteToken.random()
        let id = FileID.random()
        let record = FileRecord(
            id: id, name: options.name ?? id.rawValue, contentType: options.contentType, state: .uploading,
            size: 0, sha256: nil, deleteTokenHash: token.hash, createdAt: clock.now, completedAt: nil,
            expiresAt: nil, maxDownloads: nil, downloads: 0, activeDownloads: 0
        )
        do {
            // In a child task of its own: a task keeps the memory of its deepest stack until it
            // ends, and the insert's (SQLKit, the group commit) is the deepest an upload goes,
            // which the connection's task would otherwise hold while the body streams.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await metadata.insertUploading(record) }
                try await group.waitForAll()
            }
        } catch {
            charge?.release()
            throw error
        }
        do {
            let writer = try await blobs.makeWriter(for: id, maximumLength: min(expectedLength ?? maxUploadSize, maxUploadSize))
            return UploadSession(pipeline: self, record: record, token: token, writer: writer, charge: charge)
        } catch {
            charge?.release()
            try? await metadata.remove(id)
            throw error
        }
    }
}

/// One upload in flight, owned by one request.
///
/// - Important: End every session with ``finish(_:)``, ``commit(_:)`` or ``abort()``.
public final class UploadSession {
    private enum Phase { case writing, sealed, committed, aborted }

    private let pipeline: UploadPipeline
    private var record: FileRecord
    private let token: DeleteToken
    private let writer: any BlobWriter
    /// Counts the bytes against the storage quota, when there is one.
    private let charge: QuotaCharge?
    private var digest = SHA256()
    private var phase = Phase.writing

    /// Bytes stored so far.
    public private(set) var received: Int64 = 0
    /// The id the file will have.
    public var id: FileID { record.id }

    init(pipeline: UploadPipeline, record: FileRecord, token: DeleteToken, writer: any BlobWriter, charge: QuotaCharge?) {
        self.pipeline = pipeline
        self.record = record
        self.token = token
        self.writer = writer
        self.charge = charge
    }

    /// Stores `chunk`, or throws ``SluiceError/tooLarge(limit:)`` as soon as the file would pass
    /// the limit (``SluiceError/insufficientStorage`` the quota). Suspends until storage took the
    /// chunk (backpressure).
    public func write(_ chunk: ByteBuffer) async throws {
        precondition(phase == .writing, "write after the upload was sealed or ended")
        let count = Int64(chunk.readableBytes)
        guard count <= pipeline.maxUploadSize - received else {
            throw SluiceError.tooLarge(limit: pipeline.maxUploadSize)
        }
        try charge?.add(count)
        chunk.withUnsafeReadableBytes { digest.update(bufferPointer: $0) }
        try await writer.write(chunk)
        received += count
    }

    /// Makes every byte durable and puts the blob in place, still without a link.
    public func seal() async throws {
        precondition(phase == .writing, "seal twice or after the upload ended")
        try await writer.finish()
        phase = .sealed
        record.size = received
        record.sha256 = Hex.encode(digest.finalize())
    }

    /// Gives a sealed upload its link, with `limits` applied.
    public func commit(_ limits: UploadLimits) async throws -> StoredFile {
        precondition(phase == .sealed, "commit before seal")
        let now = pipeline.clock.now
        record.state = .complete
        record.completedAt = now
        record.maxDownloads = limits.maxDownloads
        record.expiresAt = limits.maxDays.map { now.addingTimeInterval($0 * 86_400) }
        record.passwordHash = limits.passwordHash
        try await pipeline.metadata.markComplete(record)
        phase = .committed
        charge?.release()
        return StoredFile(record: record, deleteToken: token)
    }

    /// ``seal()`` then ``commit(_:)``.
    public func finish(_ limits: UploadLimits) async throws -> StoredFile {
        try await seal()
        return try await commit(limits)
    }

    /// Discards an upload that has no link yet: no record, no bytes. Never throws.
    public func abort() async {
        switch phase {
        case .writing:
            await writer.abort()
        case .sealed:
            try? await pipeline.blobs.delete(record.id)
        case .committed, .aborted:
            return
        }
        phase = .aborted
        try? await pipeline.metadata.remove(record.id)
        charge?.release()
    }
}
