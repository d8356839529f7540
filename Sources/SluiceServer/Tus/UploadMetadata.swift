import Foundation
import SluiceCore
import SluiceParsing

/// The tus `Upload-Metadata` header: comma-separated `key base64value` pairs (the value may be
/// absent). Sluice reads `filename`, `filetype`, `maxDays`, `maxDownloads` and `password`; other
/// keys are kept and echoed back unread (`password` never is).
struct UploadMetadata: Equatable {
    /// Decoded values by key; `nil` for a key without a value.
    let values: [String: Data?]

    /// Parses `header`; malformed text, a duplicate key or too many pairs is a 400.
    static func parse(_ header: String) throws -> UploadMetadata {
        do {
            return UploadMetadata(values: try UploadMetadataHeader.parse(header))
        } catch {
            throw malformed(error.reason)
        }
    }

    /// The UTF-8 text of `key`, or `nil` when absent; a value that is not UTF-8 is a 400.
    func text(_ key: String) throws -> String? {
        guard let entry = values[key], let data = entry else { return nil }
        guard let text = String(bytes: data, encoding: .utf8) else { throw Self.malformed("\(key) is not UTF-8") }
        return text
    }

    /// The display name, validated as every file name is.
    func filename() throws -> String? {
        try text("filename").map(FileName.validated)
    }

    /// `filetype` when it is a plain `type/subtype` media type; anything else is ignored.
    func fileType() throws -> String? {
        guard let type = try text("filetype")?.trimmingASCIISpaces.lowercased() else { return nil }
        let halves = type.split(separator: "/", omittingEmptySubsequences: false)
        let isToken = { (text: Substring) in
            !text.isEmpty && text.utf8.count <= 127 && text.utf8.allSatisfy { byte in
                (97...122).contains(byte) || (48...57).contains(byte) || Array("!#$&^_.+-".utf8).contains(byte)
            }
        }
        return halves.count == 2 && halves.allSatisfy(isToken) ? type : nil
    }

    /// The link's limits from `maxDownloads` and `maxDays`, validated as the headers of a `PUT`.
    func limits() throws -> UploadLimits {
        UploadLimits(
            maxDownloads: try text("maxDownloads").map(UploadLimitsParser.parseMaxDownloads),
            maxDays: try text("maxDays").map(UploadLimitsParser.parseMaxDays)
        )
    }

    /// The link's password, as `X-Password` would give it.
    func password() throws -> [UInt8]? {
        guard let entry = values[Self.passwordKey], let data = entry else { return nil }
        return try UploadLimitsParser.validatedPassword(Array(data))
    }

    static let passwordKey = "password"

    /// `header` (already parsed) without its `password` pair: what is kept and echoed back.
    static func removingPassword(_ header: String) -> String {
        UploadMetadataHeader.removing(passwordKey, from: header)
    }

    private static func malformed(_ reason: String) -> SluiceError {
        .badRequest("malformed Upload-Metadata: \(reason)")
    }
}
