import Foundation

/// The local file name for a download: the server's name from `Content-Disposition`
/// (`filename*` first, then `filename`), else the link's last path segment, made safe to use as
/// one file name in the current directory.
enum DownloadName {
    static func from(contentDisposition: String?, link: String) -> String {
        let parameters = contentDisposition.map(Self.parameters) ?? [:]
        var name = parameters["filename*"].flatMap(Self.extendedValue) ?? parameters["filename"]
        if name == nil || name?.isEmpty == true {
            name = URL(string: link)?.lastPathComponent
        }
        return sanitised(name ?? "")
    }

    /// No path separators (they become `_`), no control characters, no leading dots or spaces;
    /// `download` when nothing is left.
    static func sanitised(_ name: String) -> String {
        var cleaned = String(String.UnicodeScalarView(name.unicodeScalars.compactMap { scalar in
            if scalar == "/" || scalar == "\\" { return "_" }
            return scalar.properties.generalCategory == .control ? nil : scalar
        }))
        while let first = cleaned.first, first == "." || first == " " { cleaned.removeFirst() }
        cleaned = cleaned.trimmingCharacters(in: .whitespaces)
        return cleaned.isEmpty ? "download" : cleaned
    }

    /// `attachment; filename="a"; filename*=UTF-8''b` as lowercased names to unquoted values.
    private static func parameters(_ header: String) -> [String: String] {
        var result: [String: String] = [:]
        for part in header.split(separator: ";").dropFirst() {
            guard let equals = part.firstIndex(of: "=") else { continue }
            let key = part[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = part[part.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
                    .replacingOccurrences(of: "\\\\", with: "\\")
            }
            result[key] = value
        }
        return result
    }

    /// The RFC 8187 value `UTF-8''percent-encoded` decoded, or nil for another charset.
    private static func extendedValue(_ value: String) -> String? {
        let parts = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].lowercased() == "utf-8" else { return nil }
        return String(parts[2]).removingPercentEncoding
    }
}
