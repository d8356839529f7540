import Foundation

/// Percent-encoding as SigV4 and S3 define it ("UriEncode"): every byte of the UTF-8 form is
/// written as `%XY` (upper-case hex) except the unreserved characters `A–Z a–z 0–9 - . _ ~`,
/// and `/` when encoding a path; so `+ = & $ : @ ,` and friends are encoded, as the canonical
/// request and S3 object URLs need (Foundation's preset sets keep them).
enum URIEncoding {
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    private static let unreservedAndSlash = unreserved.union(CharacterSet(charactersIn: "/"))

    /// Encodes one query name or value (`/` becomes `%2F`).
    static func encodeComponent(_ string: String) -> String {
        string.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    /// Encodes an object path: each `/`-separated segment encoded, the slashes kept.
    static func encodePath(_ path: String) -> String {
        path.addingPercentEncoding(withAllowedCharacters: unreservedAndSlash) ?? ""
    }
}
