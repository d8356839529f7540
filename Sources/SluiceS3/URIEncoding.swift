/// Percent-encoding as SigV4 and S3 define it ("UriEncode"): every byte of the UTF-8 form is
/// written as `%XY` (upper-case hex) except the unreserved characters `A–Z a–z 0–9 - . _ ~`,
/// and `/` when encoding a path. Unlike `addingPercentEncoding`, it encodes `+ = & $ : @ ,` and
/// friends, which is what the canonical request and S3 object URLs need.
enum URIEncoding {
    /// Encodes one query name or value (`/` becomes `%2F`).
    static func encodeComponent(_ string: String) -> String {
        encode(string, keepingSlashes: false)
    }

    /// Encodes an object path: each `/`-separated segment encoded, the slashes kept.
    static func encodePath(_ path: String) -> String {
        encode(path, keepingSlashes: true)
    }

    private static func encode(_ string: String, keepingSlashes: Bool) -> String {
        var encoded = [UInt8]()
        encoded.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            if isUnreserved(byte) || (keepingSlashes && byte == UInt8(ascii: "/")) {
                encoded.append(byte)
            } else {
                encoded.append(UInt8(ascii: "%"))
                encoded.append(hexDigits[Int(byte >> 4)])
                encoded.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
