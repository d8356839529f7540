/// Extracts and validates the `boundary` parameter of a `multipart/form-data` Content-Type.
public enum MultipartBoundary {
    /// Extracts the boundary parameter of a `multipart/form-data` Content-Type (quoted or token form,
    /// RFC 2046: 1-70 chars of bchars, no trailing space). Returns nil if the type isn't
    /// multipart/form-data (case-insensitive), the value is syntactically invalid, or the boundary is
    /// missing, duplicated or invalid.
    public static func parse(contentType: String) -> String? {
        guard let parsed = MultipartHeaderSyntax.parseParameterized(contentType.utf8),
            MultipartHeaderSyntax.lowercased(parsed.primary) == "multipart/form-data"
        else { return nil }
        let boundaries = parsed.parameters.filter { $0.0 == "boundary" }
        guard boundaries.count == 1, let value = boundaries.first?.1, isValid(value) else { return nil }
        return String(decoding: value, as: UTF8.self)
    }

    /// Whether `bytes` is a valid RFC 2046 boundary: 1-70 `bchars`, not ending in a space.
    public static func isValid(_ bytes: [UInt8]) -> Bool {
        guard (1...70).contains(bytes.count), bytes.allSatisfy(isBoundaryChar) else { return false }
        return bytes.last != UInt8(ascii: " ")
    }

    /// RFC 2046 `bchars`: DIGIT / ALPHA / `'()+_,-./:=?` / space.
    public static func isBoundaryChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "+"), UInt8(ascii: "_"),
            UInt8(ascii: ","), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: ":"),
            UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: " "):
            return true
        default:
            return false
        }
    }
}
