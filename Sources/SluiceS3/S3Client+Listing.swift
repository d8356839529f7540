import AsyncHTTPClient
import NIOHTTP1

extension S3Client {
    /// One page (up to `maxKeys`, at most 1000) of the objects whose keys start with `prefix`,
    /// in key order (`ListObjectsV2`). Pass the page's `nextContinuationToken` to get the next.
    public func listObjects(prefix: String = "", continuationToken: String? = nil, maxKeys: Int = 1000) async throws -> S3ObjectListing {
        var query = [(name: "list-type", value: "2"), (name: "max-keys", value: String(maxKeys))]
        let fullPrefix = location.keyPrefix + prefix
        if !fullPrefix.isEmpty {
            query.append((name: "prefix", value: fullPrefix))
        }
        if let continuationToken {
            query.append((name: "continuation-token", value: continuationToken))
        }
        return try await perform(S3Request(method: .GET, key: nil, query: query)) { response in
            try S3Messages.objectListing(try await readXML(response), keyPrefix: location.keyPrefix)
        }
    }

    /// All multipart uploads under `prefix` that were started and neither completed nor aborted,
    /// reading page after page.
    public func listMultipartUploads(prefix: String = "") async throws -> [S3MultipartUpload] {
        var uploads: [S3MultipartUpload] = []
        var marker: S3Messages.UploadListingMarker?
        repeat {
            var query = [(name: "uploads", value: "")]
            let fullPrefix = location.keyPrefix + prefix
            if !fullPrefix.isEmpty {
                query.append((name: "prefix", value: fullPrefix))
            }
            if let marker {
                query.append((name: "key-marker", value: marker.keyMarker))
                query.append((name: "upload-id-marker", value: marker.uploadIDMarker))
            }
            let page = try await perform(S3Request(method: .GET, key: nil, query: query)) { response in
                try S3Messages.multipartUploads(try await readXML(response), keyPrefix: location.keyPrefix)
            }
            uploads += page.uploads
            guard page.next == nil || page.next != marker else {
                throw S3Error.invalidResponse("ListMultipartUploads repeated its marker \(String(describing: marker))")
            }
            marker = page.next
        } while marker != nil
        return uploads
    }
}
