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

    /// Keeps what follows the last `/` or `\` (a name is never a path, whatever a client does
    /// with it), and refuses names that are then empty, `.`, `..`, too long, or hold control
    /// characters.
    static func validated(_ path: String) throws -> String {
        let name = lastPathComponent(path)
        guard !name.isEmpty, path.utf8.count <= maxBytes else {
            throw SluiceError.badRequest("the file name must be 1 to \(maxBytes) bytes")
        }
        guard name != ".", name != ".." else { throw SluiceError.badRequest("the file name cannot be . or ..") }
        guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw SluiceError.badRequest("the file name holds control characters")
        }
        return name
    }

    /// What follows the last `/` or `\` of `path`.
    static func lastPathComponent(_ path: String) -> String {
        let scalars = path.unicodeScalars
        guard let separator = scalars.lastIndex(where: { $0 == "/" || $0 == "\\" }) else { return path }
        return String(scalars[scalars.index(after: separator)...])
    }
}
