import Foundation

/// What `HEAD` tells about an object.
public struct S3ObjectInfo: Sendable, Hashable {
    /// The object's size in bytes.
    public var size: Int64
    /// The entity tag as the store sent it (normally in double quotes).
    public var etag: String

    public init(size: Int64, etag: String) {
        self.size = size
        self.etag = etag
    }
}

/// A part of a multipart upload, as `completeMultipartUpload` needs it.
public struct S3CompletedPart: Sendable, Hashable {
    /// 1...10000, in ascending order in the completion.
    public var partNumber: Int
    /// The ETag that `uploadPart` returned for it.
    public var etag: String

    public init(partNumber: Int, etag: String) {
        self.partNumber = partNumber
        self.etag = etag
    }
}

/// A multipart upload that was started and neither completed nor aborted.
public struct S3MultipartUpload: Sendable, Hashable {
    /// The key, relative to the location's prefix.
    public var key: String
    public var uploadID: String
    public var initiated: Date

    public init(key: String, uploadID: String, initiated: Date) {
        self.key = key
        self.uploadID = uploadID
        self.initiated = initiated
    }
}

/// An object in a listing.
public struct S3ListedObject: Sendable, Hashable {
    /// The key, relative to the location's prefix.
    public var key: String
    public var size: Int64

    public init(key: String, size: Int64) {
        self.key = key
        self.size = size
    }
}

/// One page of a `ListObjectsV2` listing.
public struct S3ObjectListing: Sendable, Hashable {
    /// The objects of this page, in key order.
    public var objects: [S3ListedObject]
    /// Pass to the next `listObjects` call to get the next page; nil on the last page.
    public var nextContinuationToken: String?

    /// The keys of ``objects``.
    public var keys: [String] { objects.map(\.key) }

    public init(objects: [S3ListedObject], nextContinuationToken: String?) {
        self.objects = objects
        self.nextContinuationToken = nextContinuationToken
    }
}
