import Foundation
import HTTPTypes

/// What a request presents in `Authorization` (RFC 9110 §11.6.2): a bearer token (RFC 6750) or
/// HTTP Basic user and password (RFC 7617), both as raw bytes. Anything else presents nothing.
enum PresentedCredentials: Equatable {
    case bearer([UInt8])
    case basic(user: [UInt8], password: [UInt8])

    /// Longest `Authorization` value looked at; longer ones present nothing.
    static let maxLength = 4096

    init?(_ headers: HTTPFields) {
        guard let value = headers[.authorization], value.utf8.count <= Self.maxLength else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2 else { return nil }
        let scheme = parts[0].lowercased()
        let credentials = parts[1].trimmingCharacters(in: .whitespaces)
        switch scheme {
        case "bearer":
            guard !credentials.isEmpty else { return nil }
            self = .bearer(Array(credentials.utf8))
        case "basic":
            guard let decoded = Data(base64Encoded: credentials), let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else {
                return nil
            }
            self = .basic(user: Array(decoded[..<colon]), password: Array(decoded[(colon + 1)...]))
        default:
            return nil
        }
    }

    /// The secret presented: the token, or the Basic password (whatever the user name).
    var secret: [UInt8] {
        switch self {
        case .bearer(let token): token
        case .basic(_, let password): password
        }
    }
}
