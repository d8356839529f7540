import Foundation
import Logging
import ServiceLifecycle

/// The background service that removes deleted, expired and used-up files, and resumable
/// uploads abandoned past their expiry, with their bytes.
///
/// Bytes go first, then the record, so a crash in between leaves a record whose (already
/// missing) blob is removed again on the next pass: never a blob without a record.
///
/// Every instance runs one; each pass first records the instance's heartbeat, and only one
/// instance at a time sweeps.
public struct Sweeper: Service {
    let blobs: any BlobStore
    let metadata: any MetadataStore
    let clock: any WallClock
    let interval: Duration
    let progress: any ProgressPublisher
    let logger: Logger

    public init(
        blobs: any BlobStore, metadata: any MetadataStore, clock: any WallClock, interval: Duration,
        progress: any ProgressPublisher, logger: Logger
    ) {
        self.blobs = blobs
        self.metadata = metadata
        self.clock = clock
        self.interval = interval
        self.progress = progress
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await sweepOnce()
            } catch {
                logger.warning("sweep failed", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }

    /// Removes everything that is due now; returns how many files were removed (0 when another
    /// instance is sweeping).
    @discardableResult
    public func sweepOnce() async throws -> Int {
        try await metadata.heartbeat(now: clock.now)
        return try await metadata.sweepExclusively {
            try await metadata.freeDownloadSlots(ofDeadInstancesAt: clock.now)
            return try await removeDue()
        } ?? 0
    }

    private func removeDue() async throws -> Int {
        var removed = 0
        while true {
            let batch = try await metadata.sweepable(now: clock.now, limit: 256)
            for record in batch {
                switch record.state {
                case .complete:
                    // Expired or used up: hide it first, so no new download starts on it.
                    _ = try await metadata.markDeleted(record.id)
                case .uploading:
                    // An abandoned resumable upload: hide it, so no request appends to it again.
                    if try await metadata.abandonUpload(record.id) {
                        progress.publish(
                            ResumableUploadID.progressKey(record.id),
                            ProgressUpdate(
                                received: record.size, total: record.resumable?.length, state: .failed, error: "expired"))
                    }
                case .deleted:
                    break
                }
                try await blobs.delete(record.id)
                try await metadata.remove(record.id)
                removed += 1
            }
            if batch.count < 256 { break }
        }
        if removed > 0 { logger.info("swept files", metadata: ["count": "\(removed)"]) }
        return removed
    }
}
