import Logging

/// Removes a file that is already invisible (state ``FileRecord/State/deleted``): bytes first,
/// then the record.
public struct Removal: Sendable {
    let blobs: any BlobStore
    let metadata: any MetadataStore
    let logger: Logger

    public init(blobs: any BlobStore, metadata: any MetadataStore, logger: Logger) {
        self.blobs = blobs
        self.metadata = metadata
        self.logger = logger
    }

    /// Removes `id` at once. Should that fail, the sweeper finds the deleted record and tries again.
    public func removeNow(_ id: FileID) async {
        do {
            try await blobs.delete(id)
            try await metadata.remove(id)
        } catch {
            logger.warning("removal left work for the sweeper", metadata: ["id": "\(id)", "error": "\(error)"])
        }
    }
}
