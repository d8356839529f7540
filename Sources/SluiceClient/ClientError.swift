import Foundation

/// Why a client command failed. Each case has its own process exit code, so scripts can tell
/// an unreachable server from a missing file or a corrupted download.
public enum ClientError: Error, Equatable, CustomStringConvertible {
    /// Anything else: a local file that cannot be read or written, an unexpected answer.
    case failed(String)
    /// The server could not be reached, or the connection broke (after the retries).
    case unreachable(String)
    /// `404` (or `410`): unknown, deleted, expired or used-up link.
    case notFound(String)
    /// `413`: the file is over the server's `--max-upload-size`.
    case tooLarge(String)
    /// `507`: the server is out of storage.
    case insufficientStorage(String)
    /// The downloaded bytes do not match the server's `Repr-Digest`.
    case checksumMismatch(String)
    /// Another error status; `5xx` and `409` are retried before they get here.
    case server(status: Int, message: String)

    public var description: String {
        switch self {
        case .failed(let message), .unreachable(let message), .notFound(let message),
             .tooLarge(let message), .insufficientStorage(let message), .checksumMismatch(let message):
            message
        case .server(let status, let message):
            "the server answered \(status): \(message)"
        }
    }

    /// The process exit code for this error.
    public var exitCode: Int32 {
        switch self {
        case .failed, .server: 1
        case .unreachable: 3
        case .notFound: 4
        case .tooLarge: 5
        case .insufficientStorage: 6
        case .checksumMismatch: 7
        }
    }

    /// Whether trying again later may succeed: a broken connection, a `5xx` or a `409` (a
    /// `PATCH` whose offset no longer matches, or another request still holding the upload).
    var isRetryable: Bool {
        switch self {
        case .unreachable: true
        case .server(let status, _): status >= 500 || status == 409
        default: false
        }
    }

    /// The error for an unexpected answer `status` with the plain-text `body` to `what` (a URL).
    static func answer(_ status: Int, body: String, for what: String) -> ClientError {
        let reason = errorText(body).prefix(200)
        let detail = reason.isEmpty ? "" : ": \(reason)"
        switch status {
        case 404, 410: return .notFound("not found: \(what)\(detail)")
        case 413: return .tooLarge("too large for the server\(detail)")
        case 507: return .insufficientStorage("the server is out of storage\(detail)")
        default: return .server(status: status, message: "\(what)\(detail)")
        }
    }

    /// The reason in an error body: plain text, or the `error` of `{"error": "..."}`.
    private static func errorText(_ body: String) -> String {
        let text = body.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("{"),
              let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let reason = object["error"] as? String
        else { return text }
        return reason
    }
}
