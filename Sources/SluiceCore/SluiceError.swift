/// Every failure Sluice reports to a client, thrown where it happens.
///
/// The HTTP layer maps each case to a status in exactly one place; anything thrown that is not a
/// `SluiceError` is a bug and becomes a logged 500.
public enum SluiceError: Error, Sendable, Equatable {
    /// Malformed request: the text says what was wrong.
    case badRequest(String)
    /// Unknown, deleted, expired or used-up file: the text is the short reason.
    case notFound(String)
    /// The body is (or would be) larger than the limit, in bytes.
    case tooLarge(limit: Int64)
    /// A length is required but was not given.
    case lengthRequired
    /// The request body has a media type this route does not take.
    case unsupportedMediaType(String)
    /// The Range asked for lies outside a file of this size.
    case rangeNotSatisfiable(size: Int64)
    /// The upload's progress key is in use by another running upload.
    case progressKeyInUse
    /// The request does not fit the resource's current state (a resumable upload's offset, or
    /// another request holding it).
    case conflict(String)
    /// A chunk's bytes do not match the checksum the client sent with them.
    case checksumMismatch
    /// The resource existed but is gone for good (an expired resumable upload).
    case gone(String)
    /// The client went away before the body was complete.
    case clientDisconnected
    /// Storage has no room left.
    case insufficientStorage
    /// The database or storage cannot be reached.
    case unavailable(String)
    /// Credentials are missing or wrong: for uploading at all, or for a password-protected link.
    case credentialsRequired(Protected)
    /// The client sent too many requests; it may try again after this many seconds.
    case rateLimited(retryAfter: Int)

    /// What ``credentialsRequired(_:)`` protects.
    public enum Protected: String, Sendable {
        /// Uploading, when the server is configured with upload tokens or users.
        case uploads
        /// A link uploaded with a password.
        case link
    }

    /// A stable short name, for logs and metric labels.
    public var shortName: String {
        switch self {
        case .badRequest: "bad_request"
        case .notFound: "not_found"
        case .tooLarge: "too_large"
        case .lengthRequired: "length_required"
        case .unsupportedMediaType: "unsupported_media_type"
        case .rangeNotSatisfiable: "range_not_satisfiable"
        case .progressKeyInUse: "progress_key_in_use"
        case .conflict: "conflict"
        case .checksumMismatch: "checksum_mismatch"
        case .gone: "gone"
        case .clientDisconnected: "client_disconnected"
        case .insufficientStorage: "insufficient_storage"
        case .unavailable: "unavailable"
        case .credentialsRequired: "credentials_required"
        case .rateLimited: "rate_limited"
        }
    }
}
