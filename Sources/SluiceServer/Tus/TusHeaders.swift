import Foundation
import HTTPTypes
import SluiceCore
import SluiceParsing

/// The header names of tus 1.0.0 and the parsing of their values. Anything malformed is a 400
/// before a byte is stored.
enum TusHeaders {
    static let version = "1.0.0"
    static let extensions = "creation,creation-with-upload,creation-defer-length,termination,expiration,checksum"
    static let offsetContentType = "application/offset+octet-stream"

    static let tusResumable = HTTPField.Name("Tus-Resumable")!
    static let tusVersion = HTTPField.Name("Tus-Version")!
    static let tusExtension = HTTPField.Name("Tus-Extension")!
    static let tusMaxSize = HTTPField.Name("Tus-Max-Size")!
    static let tusChecksumAlgorithm = HTTPField.Name("Tus-Checksum-Algorithm")!
    static let uploadOffset = HTTPField.Name("Upload-Offset")!
    static let uploadLength = HTTPField.Name("Upload-Length")!
    static let uploadDeferLength = HTTPField.Name("Upload-Defer-Length")!
    static let uploadMetadata = HTTPField.Name("Upload-Metadata")!
    static let uploadExpires = HTTPField.Name("Upload-Expires")!
    static let uploadChecksum = HTTPField.Name("Upload-Checksum")!
    static let fileURL = HTTPField.Name("X-Url")!

    /// `Upload-Offset`, required on a `PATCH`.
    static func offset(_ headers: HTTPFields) throws -> Int64 {
        guard let text = headers[uploadOffset] else { throw SluiceError.badRequest("Upload-Offset is required") }
        return try count(text, header: "Upload-Offset")
    }

    /// `Upload-Length`, if present.
    static func length(_ headers: HTTPFields) throws -> Int64? {
        try headers[uploadLength].map { try count($0, header: "Upload-Length") }
    }

    /// The length a creation declares: `Upload-Length`, or `nil` with `Upload-Defer-Length: 1`;
    /// exactly one of the two.
    static func creationLength(_ headers: HTTPFields) throws -> Int64? {
        let length = try length(headers)
        switch (length, headers[uploadDeferLength]) {
        case (let length?, nil):
            return length
        case (nil, "1"):
            return nil
        case (nil, nil):
            throw SluiceError.badRequest("Upload-Length or Upload-Defer-Length: 1 is required")
        case (nil, _?):
            throw SluiceError.badRequest("Upload-Defer-Length must be 1")
        case (_?, _?):
            throw SluiceError.badRequest("Upload-Length and Upload-Defer-Length exclude each other")
        }
    }

    /// `Upload-Checksum: ALGORITHM BASE64`, if present.
    static func checksum(_ headers: HTTPFields) throws -> ChunkChecksum? {
        guard let text = headers[uploadChecksum] else { return nil }
        let parts = text.trimmingASCIISpaces.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, let algorithm = ChunkChecksum.Algorithm(rawValue: String(parts[0]).lowercased()) else {
            throw SluiceError.badRequest("Upload-Checksum must be one of md5, sha1, sha256 and a base64 digest")
        }
        guard let digest = Data(base64Encoded: String(parts[1])), digest.count == digestLength(algorithm) else {
            throw SluiceError.badRequest("Upload-Checksum holds no \(algorithm.rawValue) digest")
        }
        return ChunkChecksum(algorithm: algorithm, expected: Array(digest))
    }

    /// Whether the request's `Content-Type` is `application/offset+octet-stream`.
    static func hasOffsetContentType(_ headers: HTTPFields) -> Bool {
        guard let value = headers[.contentType] else { return false }
        let type = value.split(separator: ";", maxSplits: 1).first.map(String.init)?.trimmingASCIISpaces ?? ""
        return type.lowercased() == offsetContentType
    }

    /// A non-negative decimal integer of at most 18 digits (so it always fits `Int64`).
    private static func count(_ text: String, header: String) throws -> Int64 {
        guard (1...18).contains(text.utf8.count), text.utf8.allSatisfy({ (48...57).contains($0) }), let value = Int64(text)
        else {
            throw SluiceError.badRequest("\(header) must be a non-negative integer")
        }
        return value
    }

    private static func digestLength(_ algorithm: ChunkChecksum.Algorithm) -> Int {
        switch algorithm {
        case .md5: 16
        case .sha1: 20
        case .sha256: 32
        }
    }
}
