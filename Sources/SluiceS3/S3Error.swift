/// Everything that can go wrong configuring or talking to an S3-compatible store.
public enum S3Error: Error, CustomStringConvertible {
    /// An `s3://` location, or one of its parts, is malformed; the text says which and why.
    case invalidLocation(String)
    /// The object does not exist (HTTP 404 `NoSuchKey`, or a 404 to a `HEAD`).
    case notFound(key: String)
    /// The store refused the request: HTTP status, S3 error code (e.g. `SignatureDoesNotMatch`,
    /// `NoSuchBucket`), message, and the request ID to quote to the store's operators. An error
    /// returned inside a `200 OK` (as `CompleteMultipartUpload` may) has status 200.
    case service(status: Int, code: String, message: String, requestID: String?)
    /// The store's answer could not be used: malformed or oversized XML, a missing field or header.
    case invalidResponse(String)
    /// The exchange failed before an answer arrived: connection, TLS, timeout, cancellation, or
    /// a request body that could not be read.
    case transport(any Error)

    /// The S3 error code for ``service(status:code:message:requestID:)``, otherwise nil.
    public var code: String? {
        if case .service(_, let code, _, _) = self { code } else { nil }
    }

    public var description: String {
        switch self {
        case .invalidLocation(let reason):
            "invalid S3 location: \(reason)"
        case .notFound(let key):
            "S3 object not found: \(key)"
        case .service(let status, let code, let message, let requestID):
            "S3 error \(status) \(code): \(message)\(requestID.map { " (request \($0))" } ?? "")"
        case .invalidResponse(let reason):
            "invalid S3 response: \(reason)"
        case .transport(let underlying):
            "S3 request failed: \(underlying)"
        }
    }
}
