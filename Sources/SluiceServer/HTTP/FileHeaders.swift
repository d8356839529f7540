import Foundation
import HTTPTypes

/// The headers that describe a stored file on uploads and downloads.
enum FileHeaders {
    static let deleteURL = HTTPField.Name("X-Url-Delete")!
    static let reprDigest = HTTPField.Name("Repr-Digest")!

    /// `sha-256=:BASE64:` (RFC 9530) from a lowercase hex SHA-256.
    static func reprDigest(sha256 hex: String) -> String {
        "sha-256=:\(Data(hexBytes(hex)).base64EncodedString()):"
    }

    /// The strong ETag of a file: its SHA-256, so the same bytes give the same ETag.
    static func etag(sha256 hex: String) -> String { "\"\(hex)\"" }

    private static func hexBytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            bytes.append(nibble(high) << 4 | nibble(low))
        }
        return bytes
    }

    private static func nibble(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "a") ? byte - UInt8(ascii: "a") + 10 : byte - UInt8(ascii: "0")
    }
}
