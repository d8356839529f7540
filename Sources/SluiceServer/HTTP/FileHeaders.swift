import Foundation
import HTTPTypes
import SluiceCore

/// The headers that describe a stored file on uploads and downloads.
enum FileHeaders {
    static let deleteURL = HTTPField.Name("X-Url-Delete")!
    static let reprDigest = HTTPField.Name("Repr-Digest")!

    /// `sha-256=:BASE64:` (RFC 9530) from a lowercase hex SHA-256.
    static func reprDigest(sha256 hex: String) -> String {
        "sha-256=:\(Data(Hex.decode(hex) ?? []).base64EncodedString()):"
    }

    /// The strong ETag of a file: its SHA-256, so the same bytes give the same ETag.
    static func etag(sha256 hex: String) -> String { "\"\(hex)\"" }
}
