import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFileSystem
import SluiceCore
import SluiceS3

/// A ``BlobStore`` in a bucket of any S3-compatible store (AWS S3, Ceph RGW, MinIO, R2), shared
/// by every instance:
///
/// ```
/// PREFIX/files/ID            finished blobs (single PUT or completed multipart upload)
/// PREFIX/partial/ID/N        the tail of a resumable upload whose next part is N + 1
/// ```
///
/// A blob is visible only once its `PUT` or `CompleteMultipartUpload` succeeded, so nothing
/// half-written is ever read. Parts on their way are spooled in a local directory of this
/// instance (``spoolDirectory``), never in memory.
public struct S3BlobStore: BlobStore {
    let client: S3Client
    /// Where this instance gathers parts before sending them; emptied on start.
    let spoolDirectory: FilePath
    /// What the spool files being written gather before each write.
    let writeBuffers = WriteBuffers()
    let logger: Logger

    /// The store in the bucket `client` names, which it creates when missing.
    public static func open(client: S3Client, spoolDirectory: FilePath, logger: Logger) async throws -> S3BlobStore {
        try await LocalBlobStore.createDirectoryIfMissing(spoolDirectory, fileSystem: .shared)
        do {
            try await client.checkBucket()
        } catch S3Error.notFound, S3Error.service(status: 404, _, _, _) {
            try await client.createBucket()
        }
        return S3BlobStore(client: client, spoolDirectory: spoolDirectory, logger: logger)
    }

    func objectKey(_ id: FileID) -> String { "files/\(id.rawValue)" }
    func tailKey(_ id: FileID, part: Int) -> String { "partial/\(id.rawValue)/\(part)" }

    public func makeWriter(for id: FileID, maximumLength: Int64) async throws -> any BlobWriter {
        try S3BlobUpload.single(store: self, id: id, maximumLength: maximumLength)
    }

    public func openPartial(
        _ id: FileID, durableLength: Int64, storeState: String?, maximumLength: Int64
    ) async throws -> any PartialBlobWriter {
        try await mapErrors {
            try await S3BlobUpload.resumable(
                store: self, id: id, durableLength: durableLength, storeState: storeState, maximumLength: maximumLength)
        }
    }

    public func read(
        _ id: FileID, range: ClosedRange<Int64>?, into consume: (ByteBuffer) async throws -> Void
    ) async throws {
        try await mapErrors { try await client.getObject(key: objectKey(id), range: range, into: consume) }
    }

    /// Objects in a bucket are not files of this machine: downloads go through ``read(_:range:into:)``.
    public func openFile(_ id: FileID) async throws -> (any BlobFile)? { nil }

    public func readIfCached(_ id: FileID, range: ClosedRange<Int64>) -> ByteBuffer? { nil }

    public func closeIdleFiles() {}

    /// Removes the finished object, the tails, and any multipart upload still open on the key
    /// (found by listing: the upload id of an interrupted single-request upload is nowhere else).
    public func delete(_ id: FileID) async throws {
        try await mapErrors {
            try await client.deleteObject(key: objectKey(id))
            try await deleteTails(of: id)
            for upload in try await client.listMultipartUploads(prefix: objectKey(id)) where upload.key == objectKey(id) {
                try await client.abortMultipartUpload(key: upload.key, uploadID: upload.uploadID)
            }
        }
    }

    func deleteTails(of id: FileID) async throws {
        var token: String?
        repeat {
            let listing = try await client.listObjects(prefix: "partial/\(id.rawValue)/", continuationToken: token)
            for object in listing.objects { try await client.deleteObject(key: object.key) }
            token = listing.nextContinuationToken
        } while token != nil
    }

    /// Empties this instance's spool; what other instances write is theirs.
    public func removeLeftovers() async throws -> Int {
        let names = try await LocalBlobStore.list(spoolDirectory)
        for name in names {
            try await FileSystem.shared.removeItem(at: spoolDirectory.appending(name), strategy: .platformDefault, recursively: true)
        }
        return names.count
    }

    /// Visits nothing: listing a shared bucket on every start costs too much, and a blob never
    /// outlives its record (records are written before their bytes and removed after them; an
    /// interrupted upload's multipart upload is aborted when its record is swept).
    public func forEachBlob(_ visit: (FileID) async throws -> Void) async throws {}

    public func checkHealth() async throws {
        try await client.checkBucket()
    }

    /// Runs `body`, reporting a full store or spool disk as ``SluiceError/insufficientStorage``.
    func mapErrors<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await LocalBlobStore.mapErrors(body)
        } catch let error as S3Error where ["QuotaExceeded", "EntityTooLarge"].contains(error.code) {
            throw SluiceError.insufficientStorage
        } catch S3Error.notFound(let key) {
            throw SluiceError.notFound("no object \(key)")
        }
    }
}
