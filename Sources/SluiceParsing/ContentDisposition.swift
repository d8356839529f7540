/// Builds `Content-Disposition` header values (RFC 6266) carrying a file name both as an ASCII
/// `filename` fallback and as an RFC 8187 `filename*=UTF-8''…` parameter.
///
/// The result never contains control characters or non-ASCII bytes, so it is always a safe
/// header value. Fallback rules: every Unicode scalar that is not printable ASCII
/// (U+0020…U+007E) becomes one `_` (CR, LF, NUL, DEL, each scalar of `é` or of an emoji
/// sequence), and `"` and `\` are also replaced by `_` rather than backslash-escaped, because
/// many user agents do not unescape quoted-pairs in this parameter. Nothing else is changed or
/// collapsed. `filename*` is always emitted; it percent-encodes (uppercase hex) every UTF-8 byte
/// that is not an RFC 8187 attr-char. An empty name is replaced by `file`.
public enum ContentDisposition {
    /// The disposition type.
    public enum Kind: String, Sendable {
        /// Ask the user agent to save the file.
        case attachment
        /// Let the user agent display the file.
        case inline
    }

    /// The full header value, e.g. `attachment; filename="a b.txt"; filename*=UTF-8''a%20b.txt`.
    public static func value(disposition: Kind, filename: String) -> String {
        let name = filename.isEmpty ? "file" : filename
        return "\(disposition.rawValue); filename=\"\(asciiFallback(name))\"; filename*=UTF-8''\(percentEncoded(name))"
    }

    /// The quoted-string content of the `filename` parameter (without the quotes).
    public static func asciiFallback(_ name: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(name.utf8.count)
        for scalar in name.unicodeScalars {
            if scalar.value >= 0x20, scalar.value < 0x7F, scalar != "\"", scalar != "\\" {
                out.append(UInt8(scalar.value))
            } else {
                out.append(UInt8(ascii: "_"))
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The RFC 8187 value-chars for `name` (UTF-8, attr-chars kept, everything else `%XX`).
    public static func percentEncoded(_ name: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(name.utf8.count)
        for byte in name.utf8 {
            if isAttrChar(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// RFC 8187 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" /
    /// "`" / "|" / "~".
    private static func isAttrChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "+"), UInt8(ascii: "-"),
            UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
