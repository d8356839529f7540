import Foundation

/// The tus `Upload-Metadata` header (tus 1.0.0, creation): comma-separated pairs of a key and an
/// optional base64 value.
public enum UploadMetadataHeader {
    /// Most pairs one header may hold.
    public static let maxPairs = 64

    /// Why a header was refused.
    public struct Malformed: Error, Equatable {
        public let reason: String
    }

    /// Decoded values by key (`nil` for a key sent without a value). Malformed text, a duplicate
    /// key or too many pairs throw.
    public static func parse(_ header: String) throws(Malformed) -> [String: Data?] {
        var values: [String: Data?] = [:]
        guard !header.trimmingASCIISpaces.isEmpty else { return values }
        let pairs = header.split(separator: ",", omittingEmptySubsequences: false)
        guard pairs.count <= maxPairs else { throw Malformed(reason: "more than \(maxPairs) pairs") }
        for pair in pairs {
            let parts = String(pair).trimmingASCIISpaces.split(separator: " ", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let key = parts.first, isValidKey(key) else {
                throw Malformed(reason: "each pair must be a key and an optional base64 value")
            }
            var value: Data?
            if parts.count == 2 {
                guard let decoded = Data(base64Encoded: String(parts[1])) else {
                    throw Malformed(reason: "the value of \(key) is not base64")
                }
                value = decoded
            }
            guard values.updateValue(value, forKey: String(key)) == nil else { throw Malformed(reason: "duplicate key \(key)") }
        }
        return values
    }

    /// `header` (already parsed) without the pair of `key`.
    public static func removing(_ key: String, from header: String) -> String {
        header.split(separator: ",", omittingEmptySubsequences: false)
            .filter { pair in String(pair).trimmingASCIISpaces.split(separator: " ").first.map(String.init) != key }
            .joined(separator: ",")
    }

    /// A key: printable ASCII without spaces or commas.
    private static func isValidKey(_ key: Substring) -> Bool {
        !key.isEmpty && key.utf8.count <= 128 && key.utf8.allSatisfy { (33...126).contains($0) && $0 != UInt8(ascii: ",") }
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    public var trimmingASCIISpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
