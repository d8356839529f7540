import HTTPTypes
import SluiceCore
import SluiceParsing

/// Reads and validates `Max-Downloads`, `Max-Days`, `X-Password` and `X-Progress-Id` (headers,
/// or the form fields `maxDownloads`, `maxDays` and `password`). Anything malformed is a 400
/// before a byte is stored.
enum UploadLimitsParser {
    static let maxDaysLimit = 3650.0

    static let maxDownloadsHeader = HTTPField.Name("Max-Downloads")!
    static let maxDaysHeader = HTTPField.Name("Max-Days")!
    static let progressIDHeader = HTTPField.Name("X-Progress-Id")!
    static let passwordHeader = HTTPField.Name("X-Password")!

    static func limits(from headers: HTTPFields) throws -> UploadLimits {
        UploadLimits(
            maxDownloads: try headers[maxDownloadsHeader].map(parseMaxDownloads),
            maxDays: try headers[maxDaysHeader].map(parseMaxDays)
        )
    }

    /// The limits of the headers, with the link's password (`X-Password`) hashed.
    static func limitsHashingPassword(from headers: HTTPFields) async throws -> UploadLimits {
        var limits = try limits(from: headers)
        if let password = try password(from: headers) { limits.passwordHash = try await LinkPassword.hash(password) }
        return limits
    }

    /// The `X-Password` bytes, validated; `nil` when absent.
    static func password(from headers: HTTPFields) throws -> [UInt8]? {
        try headers[passwordHeader].map { try validatedPassword(Array($0.utf8)) }
    }

    /// A password of 1 to ``LinkPassword/maxLength`` bytes.
    static func validatedPassword(_ bytes: [UInt8]) throws -> [UInt8] {
        guard (1...LinkPassword.maxLength).contains(bytes.count) else {
            throw SluiceError.badRequest("a password must be 1 to \(LinkPassword.maxLength) bytes")
        }
        return bytes
    }

    /// A positive integer of at most 9 digits.
    static func parseMaxDownloads(_ text: String) throws -> Int {
        let text = text.trimmingASCIISpaces
        guard (1...9).contains(text.utf8.count), text.utf8.allSatisfy(isDigit), let value = Int(text), value > 0 else {
            throw SluiceError.badRequest("Max-Downloads must be a positive integer")
        }
        return value
    }

    /// A positive decimal number of days, fractions allowed, at most 3650.
    static func parseMaxDays(_ text: String) throws -> Double {
        let text = text.trimmingASCIISpaces
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let wellFormed =
            text.utf8.count <= 32 && !parts.isEmpty && !parts[0].isEmpty
            && parts.allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy(isDigit) }
        guard wellFormed, let value = Double(text), value > 0, value <= maxDaysLimit else {
            throw SluiceError.badRequest("Max-Days must be a positive number of days, at most 3650")
        }
        return value
    }

    /// The optional progress key: 8-128 characters of `[A-Za-z0-9_-]`.
    static func progressID(from headers: HTTPFields) throws -> String? {
        guard let key = headers[progressIDHeader] else { return nil }
        guard isValidProgressKey(key) else {
            throw SluiceError.badRequest("X-Progress-Id must be 8-128 characters of A-Z a-z 0-9 _ -")
        }
        return key
    }

    /// 8-128 characters of `[A-Za-z0-9_-]`.
    static func isValidProgressKey(_ key: String) -> Bool {
        (8...128).contains(key.utf8.count) && key.utf8.allSatisfy { isDigit($0) || isKeyLetter($0) }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private static func isKeyLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }
}
