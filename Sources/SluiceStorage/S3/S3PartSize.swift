/// The one part size of an S3 multipart upload, fixed when the upload starts and never changed
/// (Cloudflare R2 requires every part but the last to have the same size).
///
/// S3 allows at most ``maximumParts`` parts of at most ``largestPart`` bytes, and every part but
/// the last must be at least 5 MiB. Parts are at least ``smallestPart`` (fewer requests), and
/// large enough that `maximumLength` fits in ``maximumParts``: about 105 MiB for 1 TiB.
enum S3PartSize {
    static let smallestPart: Int64 = 8 << 20
    static let largestPart: Int64 = 5 << 30
    static let maximumParts: Int64 = 10_000

    /// The part size for a blob of at most `maximumLength` bytes, a whole number of MiB; `nil`
    /// when no part size lets S3 hold that much (more than about 48.8 TiB).
    static func forBlob(ofAtMost maximumLength: Int64) -> Int64? {
        let length = max(0, maximumLength)
        let needed = length / maximumParts + (length % maximumParts == 0 ? 0 : 1)
        guard needed <= largestPart else { return nil }
        let mebibyte: Int64 = 1 << 20
        return max(smallestPart, (needed + mebibyte - 1) / mebibyte * mebibyte)
    }
}
