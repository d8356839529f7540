import Foundation

/// The XML documents of the S3 API this client uses: responses decoded into values, request
/// bodies encoded. Keys in responses are made relative to the location's prefix here.
enum S3Messages {
    /// The fields of an `<Error>` document.
    struct ErrorDetails: Equatable {
        var code: String
        var message: String
        var requestID: String?
    }

    /// The details of an `<Error>` document, or nil if `root` is something else.
    static func errorDetails(_ root: S3XMLElement) -> ErrorDetails? {
        guard root.name == "Error", let code = root.text(of: "Code"), !code.isEmpty else { return nil }
        return ErrorDetails(code: code, message: root.text(of: "Message") ?? "", requestID: root.text(of: "RequestId"))
    }

    /// The upload ID from an `<InitiateMultipartUploadResult>`.
    static func uploadID(_ root: S3XMLElement) throws(S3Error) -> String {
        try expect(root, named: "InitiateMultipartUploadResult")
        guard let uploadID = root.text(of: "UploadId"), !uploadID.isEmpty else {
            throw .invalidResponse("InitiateMultipartUploadResult without an UploadId")
        }
        return uploadID
    }

    /// The ETag from a `<CompleteMultipartUploadResult>`, nil when empty (as Ceph RGW 16.2 sends it).
    /// An `<Error>` document, which S3 may send with status 200, is thrown as a service error.
    static func completionETag(_ root: S3XMLElement) throws(S3Error) -> String? {
        if let error = errorDetails(root) {
            throw .service(status: 200, code: error.code, message: error.message, requestID: error.requestID)
        }
        try expect(root, named: "CompleteMultipartUploadResult")
        return root.text(of: "ETag").flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A `<ListBucketResult>` of `ListObjectsV2`.
    static func objectListing(_ root: S3XMLElement, keyPrefix: String) throws(S3Error) -> S3ObjectListing {
        try expect(root, named: "ListBucketResult")
        var objects: [S3ListedObject] = []
        for contents in root.children("Contents") {
            guard let key = contents.text(of: "Key"), let size = contents.text(of: "Size").flatMap({ Int64($0) }) else {
                throw .invalidResponse("ListBucketResult entry without Key or Size")
            }
            objects.append(S3ListedObject(key: try relativeKey(key, keyPrefix: keyPrefix), size: size))
        }
        guard try isTruncated(root) else {
            return S3ObjectListing(objects: objects, nextContinuationToken: nil)
        }
        guard let nextToken = root.text(of: "NextContinuationToken"), !nextToken.isEmpty else {
            throw .invalidResponse("truncated ListBucketResult without a NextContinuationToken")
        }
        return S3ObjectListing(objects: objects, nextContinuationToken: nextToken)
    }

    /// Where the next page of a multipart upload listing starts.
    struct UploadListingMarker: Equatable {
        var keyMarker: String
        var uploadIDMarker: String
    }

    /// A `<ListMultipartUploadsResult>` page, and the marker of the next page if there is one.
    static func multipartUploads(
        _ root: S3XMLElement, keyPrefix: String
    ) throws(S3Error) -> (uploads: [S3MultipartUpload], next: UploadListingMarker?) {
        try expect(root, named: "ListMultipartUploadsResult")
        var uploads: [S3MultipartUpload] = []
        for upload in root.children("Upload") {
            guard let key = upload.text(of: "Key"), let uploadID = upload.text(of: "UploadId"),
                let initiated = upload.text(of: "Initiated").flatMap({ try? Date($0, strategy: timestampStyle) })
            else {
                throw .invalidResponse("ListMultipartUploadsResult entry without Key, UploadId or a valid Initiated")
            }
            uploads.append(S3MultipartUpload(key: try relativeKey(key, keyPrefix: keyPrefix), uploadID: uploadID, initiated: initiated))
        }
        guard try isTruncated(root) else { return (uploads, nil) }
        guard let keyMarker = root.text(of: "NextKeyMarker"), !keyMarker.isEmpty,
            let uploadIDMarker = root.text(of: "NextUploadIdMarker")
        else {
            throw .invalidResponse("truncated ListMultipartUploadsResult without NextKeyMarker/NextUploadIdMarker")
        }
        return (uploads, UploadListingMarker(keyMarker: keyMarker, uploadIDMarker: uploadIDMarker))
    }

    /// The body of `CompleteMultipartUpload`.
    static func completeMultipartUploadBody(_ parts: [S3CompletedPart]) -> String {
        let partElements = parts.map {
            "<Part><PartNumber>\($0.partNumber)</PartNumber><ETag>\(S3XML.escape($0.etag))</ETag></Part>"
        }
        return "<CompleteMultipartUpload xmlns=\"\(namespace)\">\(partElements.joined())</CompleteMultipartUpload>"
    }

    /// The body of `CreateBucket` for a region other than us-east-1 (which takes none).
    static func createBucketBody(region: String) -> String {
        "<CreateBucketConfiguration xmlns=\"\(namespace)\"><LocationConstraint>\(S3XML.escape(region))</LocationConstraint></CreateBucketConfiguration>"
    }

    private static let namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

    /// `2024-05-01T12:00:00.000Z`, with or without the fraction.
    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    private static func expect(_ root: S3XMLElement, named name: String) throws(S3Error) {
        guard root.name == name else {
            throw .invalidResponse("expected <\(name)>, got <\(root.name)>")
        }
    }

    private static func isTruncated(_ root: S3XMLElement) throws(S3Error) -> Bool {
        switch root.text(of: "IsTruncated") {
        case nil, "false": false
        case "true": true
        case let other?: throw .invalidResponse("IsTruncated is '\(other)'")
        }
    }

    /// `key` without the location's prefix, compared byte by byte.
    private static func relativeKey(_ key: String, keyPrefix: String) throws(S3Error) -> String {
        guard key.utf8.starts(with: keyPrefix.utf8) else {
            throw .invalidResponse("listed key '\(key)' is outside the prefix '\(keyPrefix)'")
        }
        return String(decoding: key.utf8.dropFirst(keyPrefix.utf8.count), as: UTF8.self)
    }
}
