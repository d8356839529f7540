import Hummingbird
import NIOCore
import SluiceCore

/// Who may do what, before any route runs: the per-client rate limits (`--rate-limit`,
/// `--upload-rate-limit`) and the upload credentials (``UploadAccess``). `/healthz` and
/// `/metrics` are exempt, for the monitoring that polls them. ``RequestMiddleware`` asks it.
struct AccessCheck: Sendable {
    let access: UploadAccess
    /// Every request of a client; `nil` for no limit.
    let requests: RateLimiter?
    /// The uploads a client starts; `nil` for no limit.
    let uploads: RateLimiter?

    /// Throws ``SluiceError/rateLimited(retryAfter:)`` or ``SluiceError/credentialsRequired(_:)``
    /// when `request`, from `client`, may not go on.
    func check(_ request: Request, from client: SocketAddress?) throws(SluiceError) {
        let path = request.uri.path
        guard path != "/healthz" && path != "/metrics" else { return }
        let client = RateLimiter.clientKey(client)
        if let wait = requests?.take(for: client) { throw .rateLimited(retryAfter: wait) }
        if UploadAccess.isUpload(method: request.method, path: path) {
            guard access.permits(request.headers) else { throw .credentialsRequired(.uploads) }
            if let wait = uploads?.take(for: client) { throw .rateLimited(retryAfter: wait) }
        }
    }
}
