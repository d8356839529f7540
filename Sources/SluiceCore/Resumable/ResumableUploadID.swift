/// The name of a resumable upload in its URL (`/files/{id}`): the file's ``FileID`` followed by
/// its ``DeleteToken``, 44 URL-safe characters.
///
/// Holding the upload URL therefore means holding the delete link too, as the protocol wants
/// (`DELETE /files/{id}` deletes a finished file); the download link alone grants neither.
public struct ResumableUploadID: Sendable, CustomStringConvertible {
    public let fileID: FileID
    public let token: DeleteToken

    public init(fileID: FileID, token: DeleteToken) {
        self.fileID = fileID
        self.token = token
    }

    /// Splits `text` into its two halves; `nil` unless both are well-formed.
    public init?(_ text: String) {
        guard text.utf8.count == 2 * RandomToken.characterCount else { return nil }
        let middle = text.utf8.index(text.utf8.startIndex, offsetBy: RandomToken.characterCount)
        guard let fileID = FileID(String(text[..<middle])), RandomToken.isWellFormed(String(text[middle...])) else {
            return nil
        }
        self.init(fileID: fileID, token: DeleteToken(rawValue: String(text[middle...])))
    }

    public var rawValue: String { fileID.rawValue + token.rawValue }

    /// The key its progress is published under (``ProgressPublisher``). It holds only the file
    /// id, so the sweeper, which knows no token, can report an expiry; watchers must present the
    /// whole upload id to reach it.
    public var progressKey: String { Self.progressKey(fileID) }

    public static func progressKey(_ fileID: FileID) -> String { "tus:" + fileID.rawValue }
    public var description: String { rawValue }
}
