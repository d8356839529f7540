/// The public, unguessable name of a stored file: 128 random bits, URL-safe.
///
/// It is also the file's storage key, so a storage path is only ever built from a server-made
/// `FileID`, never from anything a client sent.
public struct FileID: Hashable, Sendable, CustomStringConvertible {
    /// The 22-character base64url text.
    public let rawValue: String

    /// A new random identifier.
    public static func random() -> FileID { FileID(trusted: RandomToken.make()) }

    /// Validates `rawValue` as an identifier; `nil` for anything that is not exactly one.
    public init?(_ rawValue: String) {
        guard RandomToken.isWellFormed(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    private init(trusted rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }
}
