import SluiceCore

/// Display names as clients send them: the last path segment of a PUT, or a form's filename.
enum FileName {
    /// Longest name accepted, in UTF-8 bytes.
    static let maxBytes = 1024

    /// Percent-decodes a path segment into a validated name.
    static func fromPathSegment(_ segment: String) throws -> String {
        guard let decoded = PathSegment.decode(Substring(segment)) else {
            throw SluiceError.badRequest("the file name is not valid percent-encoded UTF-8")
        }
        return try validated(decoded)
    }

    /// Refuses names that are empty, too long, or hold control characters.
    static func validated(_ name: String) throws -> String {
        guard !name.isEmpty, name.utf8.count <= maxBytes else {
            throw SluiceError.badRequest("the file name must be 1 to \(maxBytes) bytes")
        }
        guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw SluiceError.badRequest("the file name holds control characters")
        }
        return name
    }
}
