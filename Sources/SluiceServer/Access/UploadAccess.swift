import Crypto
import HTTPTypes
import SluiceCore

/// Who may upload (`--upload-token`, `--upload-user`): with neither configured, anyone; else
/// only a request presenting a configured token (as a bearer token, or as the password of HTTP
/// Basic with any user name) or a configured user's name and password.
///
/// Secrets are kept as SHA-256 digests and every configured one is compared, in constant time,
/// whatever matched first.
struct UploadAccess: Sendable {
    private let tokenDigests: [[UInt8]]
    private let userDigests: [(name: [UInt8], password: [UInt8])]

    /// `users` are `NAME:PASSWORD` pairs, split at the first colon.
    init(tokens: [String], users: [(name: String, password: String)]) {
        tokenDigests = tokens.map { Self.digest(Array($0.utf8)) }
        userDigests = users.map { (Self.digest(Array($0.name.utf8)), Self.digest(Array($0.password.utf8))) }
    }

    /// Whether uploads need credentials at all.
    var isRestricted: Bool { !tokenDigests.isEmpty || !userDigests.isEmpty }

    /// Whether the request is an upload: `PUT` anywhere, `POST /` or tus creation (`POST /files`).
    /// Appending to a tus upload is not: its URL is the secret the creation handed out.
    static func isUpload(method: HTTPRequest.Method, path: String) -> Bool {
        switch method {
        case .put: true
        case .post: path == "/" || path == "/files" || path == "/files/"
        default: false
        }
    }

    /// Whether `headers` carry credentials that may upload.
    func permits(_ headers: HTTPFields) -> Bool {
        guard isRestricted else { return true }
        guard let presented = PresentedCredentials(headers) else { return false }
        let secret = Self.digest(presented.secret)
        var permitted = false
        for token in tokenDigests where ConstantTime.equals(token, secret) { permitted = true }
        if case .basic(let user, _) = presented {
            let name = Self.digest(user)
            for entry in userDigests {
                let nameMatches = ConstantTime.equals(entry.name, name)
                let passwordMatches = ConstantTime.equals(entry.password, secret)
                if nameMatches && passwordMatches { permitted = true }
            }
        }
        return permitted
    }

    private static func digest(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }
}
