import Foundation
import Logging
import NIOCore
import SluiceCore
import SluiceS3

/// One blob being written to S3, in one request (``BlobWriter``) or across many requests and
/// instances (``PartialBlobWriter``, the engine under tus).
///
/// A single-request blob smaller than one part is sent with one `PUT` when it finishes; a
/// larger one becomes a multipart upload. A resumable blob is a multipart upload from the start,
/// and its durable state, kept in the metadata store, is ``State``: the upload id, the part
/// size and the ETags of the parts S3 confirmed. A checkpoint sends every full part and writes
/// the short rest as a *tail object* named after the part it will begin; the next request reads
/// that tail back and goes on. Whatever a crashed request sent after its last checkpoint is
/// overwritten (parts of the same number) or never read (tails of other numbers).
final class S3BlobUpload: BlobWriter, PartialBlobWriter {
    /// A resumable blob's state, as ``storeState`` JSON.
    struct State: Codable, Equatable {
        var uploadID: String
        var partSize: Int64
        var parts: [String]
    }

    private let store: S3BlobStore
    private let id: FileID
    private let pipeline: S3PartPipeline
    private let isResumable: Bool

    private init(store: S3BlobStore, id: FileID, pipeline: S3PartPipeline, isResumable: Bool) {
        self.store = store
        self.id = id
        self.pipeline = pipeline
        self.isResumable = isResumable
    }

    /// A single-request blob of at most `maximumLength` bytes.
    static func single(store: S3BlobStore, id: FileID, maximumLength: Int64) throws -> S3BlobUpload {
        let pipeline = S3PartPipeline(
            client: store.client, key: store.objectKey(id), partSize: try partSize(maximumLength),
            spoolDirectory: store.spoolDirectory, writeBuffers: store.writeBuffers, logger: store.logger, uploadID: nil,
            confirmed: [])
        return S3BlobUpload(store: store, id: id, pipeline: pipeline, isResumable: false)
    }

    /// A resumable blob, `durableLength` bytes long as `storeState` describes it; started anew
    /// (a multipart upload sized for `maximumLength`) when `storeState` is `nil`.
    static func resumable(
        store: S3BlobStore, id: FileID, durableLength: Int64, storeState: String?, maximumLength: Int64
    ) async throws -> S3BlobUpload {
        let key = store.objectKey(id)
        let state: State
        if let storeState {
            guard let decoded = try? JSONDecoder().decode(State.self, from: Data(storeState.utf8)) else {
                throw CorruptBlobState(id: id, reason: "unreadable state")
            }
            state = decoded
        } else {
            guard durableLength == 0 else { throw CorruptBlobState(id: id, reason: "bytes without a state") }
            let partSize = try partSize(maximumLength)
            state = State(uploadID: try await store.client.createMultipartUpload(key: key), partSize: partSize, parts: [])
        }
        let tailLength = durableLength - Int64(state.parts.count) * state.partSize
        guard (0..<state.partSize).contains(tailLength) else {
            throw CorruptBlobState(id: id, reason: "\(durableLength) bytes do not match \(state.parts.count) parts")
        }
        let pipeline = S3PartPipeline(
            client: store.client, key: key, partSize: state.partSize, spoolDirectory: store.spoolDirectory,
            writeBuffers: store.writeBuffers, logger: store.logger, uploadID: state.uploadID, confirmed: state.parts)
        let upload = S3BlobUpload(store: store, id: id, pipeline: pipeline, isResumable: true)
        if tailLength > 0 {
            do {
                try await store.client.getObject(key: store.tailKey(id, part: state.parts.count), range: 0...(tailLength - 1)) {
                    try await pipeline.append($0)
                }
            } catch {
                await pipeline.stop()
                throw error
            }
        }
        return upload
    }

    private static func partSize(_ maximumLength: Int64) throws -> Int64 {
        guard let size = S3PartSize.forBlob(ofAtMost: maximumLength) else {
            throw SluiceError.tooLarge(limit: S3PartSize.largestPart * S3PartSize.maximumParts)
        }
        return size
    }

    var storeState: String? {
        guard isResumable, let uploadID = pipeline.uploadID else { return nil }
        let state = State(uploadID: uploadID, partSize: pipeline.partSize, parts: pipeline.confirmed)
        return (try? JSONEncoder().encode(state)).map { String(decoding: $0, as: UTF8.self) }
    }

    func write(_ chunk: ByteBuffer) async throws {
        try await store.mapErrors { try await pipeline.append(chunk) }
    }

    // MARK: BlobWriter

    func finish() async throws {
        try await store.mapErrors {
            if pipeline.uploadID == nil {
                // Smaller than a part: one PUT.
                var sent = false
                try await pipeline.withFillingFile { path, length in
                    _ = try await store.client.putObject(key: pipeline.key, body: .file(path: path, offset: 0, length: length))
                    sent = true
                }
                if !sent { _ = try await store.client.putObject(key: pipeline.key, body: .bytes(ByteBuffer())) }
                await pipeline.stop()
            } else {
                try await pipeline.complete()
            }
        }
    }

    func abort() async {
        await pipeline.abort()
    }

    // MARK: PartialBlobWriter

    func checkpoint() async throws -> Int64 {
        try await store.mapErrors {
            try await pipeline.confirmAll()
            let part = pipeline.confirmed.count
            try await pipeline.withFillingFile { path, length in
                _ = try await store.client.putObject(
                    key: store.tailKey(id, part: part), body: .file(path: path, offset: 0, length: length))
            }
            return pipeline.length
        }
    }

    func complete() async throws {
        try await store.mapErrors {
            if pipeline.length == 0 {
                // S3 has no empty multipart upload: an empty object instead.
                await pipeline.abort()
                _ = try await store.client.putObject(key: pipeline.key, body: .bytes(ByteBuffer()))
            } else {
                try await pipeline.complete()
            }
            try await store.deleteTails(of: id)
        }
    }

    func close() async {
        await pipeline.stop()
    }
}

/// A resumable upload whose stored blob state does not fit its offset: no version of Sluice writes one.
struct CorruptBlobState: Error, CustomStringConvertible {
    let id: FileID
    let reason: String
    var description: String { "resumable upload \(id) has a corrupt S3 state: \(reason)" }
}
