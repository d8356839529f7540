import Foundation
import HTTPTypes
import Hummingbird
import SluiceCore

/// Builds the absolute links the server hands out: `BASE/{id}/{name}` and its delete link.
///
/// `BASE` is `--public-url` when set, else `http://` and the request's Host header (which must
/// then look like a host, so nothing a client sends can smuggle text into a `Location`).
struct LinkBuilder: Sendable {
    let publicURL: String?

    init(publicURL: String?) {
        self.publicURL = publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    /// `BASE` for `request`.
    func base(for request: Request) throws -> String {
        if let publicURL { return publicURL }
        guard let host = request.head.authority, LinkBuilder.isPlausibleHost(host) else {
            throw SluiceError.badRequest("missing or invalid Host header")
        }
        return "http://\(host)"
    }

    func fileURL(base: String, record: FileRecord) -> String {
        "\(base)/\(record.id.rawValue)/\(PathSegment.encode(record.name))"
    }

    func deleteURL(base: String, record: FileRecord, token: DeleteToken) -> String {
        "\(fileURL(base: base, record: record))/\(token.rawValue)"
    }

    static func isPlausibleHost(_ host: String) -> Bool {
        !host.isEmpty && host.utf8.count <= 255
            && host.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: ":"),
                    UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "_"):
                    true
                default:
                    false
                }
            }
    }
}

/// Percent-encoding and decoding of one URL path segment.
enum PathSegment {
    /// Encodes everything but RFC 3986 unreserved characters, so any UTF-8 name is one segment.
    static func encode(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                output.unicodeScalars.append(UnicodeScalar(byte))
            default:
                output += String(format: "%%%02X", byte)
            }
        }
        return output
    }

    /// Decodes `%XX` escapes; `nil` for a broken escape or bytes that are not UTF-8.
    static func decode(_ text: Substring) -> String? {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = iterator.next().flatMap(Hex.digitValue), let low = iterator.next().flatMap(Hex.digitValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
