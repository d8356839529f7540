import AsyncHTTPClient
import NIOCore
import NIOHTTP1

extension S3Client {
    /// Creates the bucket; a bucket that already exists and that these credentials can use
    /// counts as created. Outside us-east-1 the region is sent as the location constraint.
    public func createBucket() async throws {
        let body = location.region == "us-east-1"
            ? nil : S3Body.bytes(ByteBuffer(string: S3Messages.createBucketBody(region: location.region)))
        do {
            try await perform(S3Request(method: .PUT, key: nil, body: body)) { try await discardBody($0) }
        } catch let error as S3Error where error.code == "BucketAlreadyOwnedByYou" {
            return
        } catch let alreadyExists as S3Error where alreadyExists.code == "BucketAlreadyExists" {
            // Some stores say this for the caller's own bucket too: it is ours if we can use it.
            do {
                try await checkBucket()
            } catch {
                throw alreadyExists
            }
        }
    }

    /// Checks that the bucket exists and the credentials work (`HEAD` on the bucket), for health
    /// checks. Throws a service error (`NotFound`, `Forbidden`, ...) or a transport error if not.
    public func checkBucket() async throws {
        try await perform(S3Request(method: .HEAD, key: nil)) { try await discardBody($0) }
    }

    /// Deletes the bucket, which must be empty.
    public func deleteBucket() async throws {
        try await perform(S3Request(method: .DELETE, key: nil)) { try await discardBody($0) }
    }
}
