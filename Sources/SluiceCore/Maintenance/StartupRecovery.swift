import Logging

/// What runs once before the server accepts connections: clean up after a crash.
///
/// Removes unfinished writes, abandons uploads the previous process never finished (the
/// sweeper then removes them), frees download slots it held, and removes blobs that have no
/// record at all.
public struct StartupRecovery: Sendable {
    let blobs: any BlobStore
    let metadata: any MetadataStore
    let clock: any WallClock
    let logger: Logger

    public init(blobs: any BlobStore, metadata: any MetadataStore, clock: any WallClock, logger: Logger) {
        self.blobs = blobs
        self.metadata = metadata
        self.clock = clock
        self.logger = logger
    }

    /// What one recovery found and removed.
    public struct Report: Sendable, Equatable {
        public var leftoverWrites = 0
        public var abandonedUploads = 0
        public var orphanBlobs = 0
    }

    public func run() async throws -> Report {
        var report = Report()
        report.leftoverWrites = try await blobs.removeLeftovers()
        try await metadata.heartbeat(now: clock.now)
        report.abandonedUploads = try await metadata.recoverAfterRestart()
        try await blobs.forEachBlob { id in
            if try await metadata.find(id) == nil {
                try await blobs.delete(id)
                report.orphanBlobs += 1
            }
        }
        if report != Report() {
            logger.notice(
                "recovered after a crash",
                metadata: [
                    "leftoverWrites": "\(report.leftoverWrites)", "abandonedUploads": "\(report.abandonedUploads)",
                    "orphanBlobs": "\(report.orphanBlobs)",
                ])
        }
        return report
    }
}
