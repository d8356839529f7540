import Foundation
import Logging
import NIOCore
import NIOFileSystem
import SluiceCore
import SluiceS3

/// The bytes of one S3 multipart upload on their way out: gathered in a local spool file until
/// a part is full, then sent from that file while the next part fills, with at most
/// ``maximumInFlight`` parts being sent at once. Memory stays at a few small buffers whatever
/// the part size; a writer that outpaces the store waits, which slows the client's socket.
///
/// Used by one request at a time (``S3BlobUpload``).
final class S3PartPipeline {
    static let maximumInFlight = 2

    let client: S3Client
    let key: String
    let partSize: Int64
    let spoolDirectory: FilePath
    let writeBuffers: WriteBuffers
    let logger: Logger
    /// The multipart upload, once started.
    private(set) var uploadID: String?
    /// ETags of the parts S3 confirmed, part 1 first.
    private(set) var confirmed: [String]
    /// Parts after the confirmed ones, being sent, oldest first.
    private var sending: [Task<String, any Error>] = []
    /// The part filling now, not yet sent.
    private var filling: SpoolFile?

    init(client: S3Client, key: String, partSize: Int64, spoolDirectory: FilePath, writeBuffers: WriteBuffers,
         logger: Logger, uploadID: String?, confirmed: [String]) {
        self.client = client
        self.key = key
        self.partSize = partSize
        self.spoolDirectory = spoolDirectory
        self.writeBuffers = writeBuffers
        self.logger = logger
        self.uploadID = uploadID
        self.confirmed = confirmed
    }

    /// A pipeline dropped without ``stop()`` (its task was cancelled mid-way) still cancels its
    /// sends and closes and removes its spool file.
    deinit {
        for task in sending { task.cancel() }
        if let filling {
            if let descriptor = try? filling.handle.detachUnsafeFileDescriptor() { try? descriptor.close() }
            try? FileManager.default.removeItem(atPath: filling.path.string)
        }
    }

    /// Bytes in parts sent or being sent.
    var partsLength: Int64 { Int64(confirmed.count + sending.count) * partSize }
    /// Bytes of the part filling now.
    var fillingLength: Int64 { filling?.appender.length ?? 0 }
    /// Every byte handed to ``append(_:)`` plus what the upload started with.
    var length: Int64 { partsLength + fillingLength }

    /// Adds `chunk` to the part filling now, sending each part as it fills.
    func append(_ chunk: ByteBuffer) async throws {
        var rest = chunk
        while rest.readableBytes > 0 {
            let spool = try await fillingPart()
            let room = Int(min(Int64(rest.readableBytes), partSize - spool.appender.length))
            guard let piece = rest.readSlice(length: room) else { return }
            try await spool.appender.append(piece)
            if spool.appender.length == partSize { try await sendFillingPart() }
        }
    }

    /// Sends the part filling now, whatever its length (the last part may be short).
    func sendFillingPart() async throws {
        guard let spool = filling, spool.appender.length > 0 else { return }
        // Until the part is handed over, a failure leaves it in `filling` for stop() to remove.
        let uploadID = try await startedUploadID()
        while sending.count >= Self.maximumInFlight { try await confirmOldest() }
        try await spool.appender.flush()
        filling = nil
        do {
            try await spool.close()
        } catch {
            await SpoolFile.remove(spool.path)
            throw error
        }
        let (client, key, number) = (client, key, confirmed.count + sending.count + 1)
        let (path, length) = (spool.path, spool.appender.length)
        sending.append(Task {
            let body = S3Body.file(path: path.string, offset: 0, length: length)
            do {
                let etag = try await client.uploadPart(key: key, uploadID: uploadID, partNumber: number, body: body)
                await SpoolFile.remove(path)
                return etag
            } catch {
                await SpoolFile.remove(path)
                throw error
            }
        })
    }

    /// The multipart upload's id, starting the upload the first time.
    private func startedUploadID() async throws -> String {
        if let uploadID { return uploadID }
        let started = try await client.createMultipartUpload(key: key)
        uploadID = started
        return started
    }

    /// Waits until S3 confirmed every part sent.
    func confirmAll() async throws {
        while !sending.isEmpty { try await confirmOldest() }
    }

    /// Runs `body` with the part filling now (flushed to its file) and its length; nothing when it is empty.
    func withFillingFile(_ body: (_ path: String, _ length: Int64) async throws -> Void) async throws {
        guard let spool = filling, spool.appender.length > 0 else { return }
        try await spool.appender.flush()
        try await body(spool.path.string, spool.appender.length)
    }

    /// Sends the last part and completes the upload: the object appears under ``key``.
    func complete() async throws {
        try await sendFillingPart()
        try await confirmAll()
        guard let uploadID else { preconditionFailure("complete() of a multipart upload that never started") }
        let parts = confirmed.enumerated().map { S3CompletedPart(partNumber: $0.offset + 1, etag: $0.element) }
        _ = try await client.completeMultipartUpload(key: key, uploadID: uploadID, parts: parts)
    }

    /// Stops sending and removes the spool; the multipart upload itself stays (for a resumable
    /// upload's next request). Never throws.
    func stop() async {
        for task in sending {
            task.cancel()
            _ = try? await task.value
        }
        sending = []
        if let spool = filling {
            filling = nil
            try? await spool.close()
            await SpoolFile.remove(spool.path)
        }
    }

    /// ``stop()``, and aborts the multipart upload so S3 frees its parts. Never throws.
    func abort() async {
        await stop()
        guard let uploadID else { return }
        do {
            try await client.abortMultipartUpload(key: key, uploadID: uploadID)
        } catch {
            logger.warning("could not abort a multipart upload", metadata: ["key": "\(key)", "error": "\(error)"])
        }
    }

    private func confirmOldest() async throws {
        let etag = try await sending.removeFirst().value
        confirmed.append(etag)
    }

    private func fillingPart() async throws -> SpoolFile {
        if let filling { return filling }
        let spool = try await SpoolFile.create(in: spoolDirectory, buffers: writeBuffers)
        filling = spool
        return spool
    }
}

/// One part's bytes in a local file of the spool directory, removed once sent.
struct SpoolFile {
    let path: FilePath
    let handle: WriteFileHandle
    let appender: FileAppender

    static func create(in directory: FilePath, buffers: WriteBuffers) async throws -> SpoolFile {
        let path = directory.appending(FileID.random().rawValue)
        // A named file from the start (not an anonymous O_TMPFILE): a checkpoint sends it while it is open.
        let handle = try await LocalBlobStore.mapErrors {
            try await FileSystem.shared.openFile(forWritingAt: path, options: .modifyFile(createIfNecessary: true))
        }
        return SpoolFile(path: path, handle: handle, appender: FileAppender(handle: handle, offset: 0, buffers: buffers))
    }

    /// Closes the file; when the handle cannot (a cancelled task), closes its descriptor directly.
    func close() async throws {
        do {
            try await handle.close()
        } catch {
            if let descriptor = try? handle.detachUnsafeFileDescriptor() { try? descriptor.close() }
            throw error
        }
    }

    static func remove(_ path: FilePath) async {
        _ = try? await FileSystem.shared.removeItem(at: path, strategy: .platformDefault, recursively: false)
    }
}
