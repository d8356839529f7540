import AsyncHTTPClient
import NIOCore
import NIOHTTP1

extension S3Client {
    /// Starts a multipart upload to `key`.
    /// - Returns: The upload ID, for the other multipart calls.
    public func createMultipartUpload(key: String, contentType: String = "application/octet-stream") async throws -> String {
        let request = S3Request(
            method: .POST, key: key, query: [(name: "uploads", value: "")],
            headers: [(name: "content-type", value: contentType)])
        return try await perform(request) { response in
            try S3Messages.uploadID(try await readXML(response))
        }
    }

    /// Uploads part `partNumber` (1...10000) of a multipart upload. Every part but the last
    /// must be at least 5 MiB.
    /// - Returns: The part's ETag, for ``completeMultipartUpload(key:uploadID:parts:)``.
    public func uploadPart(key: String, uploadID: String, partNumber: Int, body: S3Body) async throws -> String {
        precondition((1...10_000).contains(partNumber), "part numbers are 1...10000")
        let request = S3Request(
            method: .PUT, key: key,
            query: [(name: "partNumber", value: String(partNumber)), (name: "uploadId", value: uploadID)],
            body: body)
        return try await perform(request) { response in
            try await discardBody(response)
            return try etag(of: response)
        }
    }

    /// Assembles the uploaded parts, in ascending part number order, into the object.
    ///
    /// S3 may report a failure inside a `200 OK`; that is thrown as a service error with status 200.
    /// - Returns: The object's ETag if the store sent one; Ceph RGW 16.2 sends an empty one, so
    ///   use ``headObject(key:)`` when it matters.
    @discardableResult
    public func completeMultipartUpload(key: String, uploadID: String, parts: [S3CompletedPart]) async throws -> String? {
        let document = S3Messages.completeMultipartUploadBody(parts)
        let request = S3Request(
            method: .POST, key: key, query: [(name: "uploadId", value: uploadID)],
            headers: [(name: "content-type", value: "application/xml")],
            body: .bytes(ByteBuffer(string: document)))
        return try await perform(request) { response in
            try S3Messages.completionETag(try await readXML(response))
        }
    }

    /// Abandons a multipart upload and frees its parts; an unknown upload (`NoSuchUpload`) is not an error.
    public func abortMultipartUpload(key: String, uploadID: String) async throws {
        let request = S3Request(method: .DELETE, key: key, query: [(name: "uploadId", value: uploadID)])
        do {
            try await perform(request) { try await discardBody($0) }
        } catch S3Error.notFound {
            return
        } catch let error as S3Error where error.code == "NoSuchUpload" {
            return
        }
    }
}
