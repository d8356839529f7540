import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SluiceCore

/// THE place where errors become HTTP responses: every ``SluiceError`` case gets its status
/// here, framework errors keep theirs (with a text body, as every error has), and anything
/// else is a bug, logged and answered 500. ``RequestMiddleware`` hands it what a route threw.
///
/// Bodies are a short plain-text line, or `{"error": "..."}` when the client accepts JSON.
struct ErrorResponses: Sendable {
    let logger: Logger
    let metrics: TrafficMetrics

    /// The answer to `request` whose route threw `error`; throws only what an
    /// `HTTPResponseError` throws while making its own.
    func response(for error: any Error, request: Request, context: some RequestContext) throws -> Response {
        switch error {
        case let error as SluiceError:
            metrics.recordError(error.shortName)
            return Self.response(for: error, request: request)
        case let error as HTTPError:
            // The router's own answers (no route: 404, wrong method: 405).
            let message = error.body ?? error.status.reasonPhrase.lowercased()
            return Self.errorResponse(error.status, message: message, request: request, headers: error.headers)
        case let error as any HTTPResponseError:
            return try error.response(from: request, context: context)
        default:
            let part = FailingPart(of: error)
            metrics.recordError(part.rawValue)
            guard part == .internal else {
                // An outage of a store, not a bug: the client may try again.
                logger.warning("\(part.rawValue) failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
                return Self.errorResponse(.serviceUnavailable, message: "\(part.rawValue) unavailable", request: request)
            }
            logger.error("unexpected error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return Self.errorResponse(.internalServerError, message: "internal error", request: request)
        }
    }

    static func response(for error: SluiceError, request: Request) -> Response {
        var headers = HTTPFields()
        let status: HTTPResponse.Status
        let message: String
        switch error {
        case .badRequest(let text):
            (status, message) = (.badRequest, text)
        case .notFound(let reason):
            (status, message) = (.notFound, reason)
        case .tooLarge(let limit):
            (status, message) = (.contentTooLarge, "file too large: the limit is \(limit) bytes")
        case .lengthRequired:
            (status, message) = (.lengthRequired, "length required")
        case .unsupportedMediaType(let text):
            (status, message) = (.unsupportedMediaType, text)
        case .rangeNotSatisfiable(let size):
            headers[.contentRange] = "bytes */\(size)"
            (status, message) = (.rangeNotSatisfiable, "range not satisfiable")
        case .progressKeyInUse:
            (status, message) = (.conflict, "progress key already in use")
        case .conflict(let text):
            (status, message) = (.conflict, text)
        case .checksumMismatch:
            (status, message) = (.init(code: 460, reasonPhrase: "Checksum Mismatch"), "checksum mismatch")
        case .gone(let text):
            (status, message) = (.gone, text)
        case .clientDisconnected:
            (status, message) = (.badRequest, "request body incomplete")
        case .insufficientStorage:
            (status, message) = (.init(code: 507, reasonPhrase: "Insufficient Storage"), "out of storage")
        case .unavailable(let text):
            (status, message) = (.serviceUnavailable, text)
        case .credentialsRequired(let protected):
            // Basic, so that a browser asks for it; upload tokens are accepted as its password too.
            let realm = protected == .uploads ? "Sluice uploads" : "Sluice link"
            headers[.wwwAuthenticate] = "Basic realm=\"\(realm)\", charset=\"UTF-8\""
            (status, message) = (.unauthorized, protected == .uploads ? "upload credentials required" : "password required")
        case .rateLimited(let retryAfter):
            headers[.retryAfter] = String(retryAfter)
            (status, message) = (.tooManyRequests, "too many requests: try again in \(retryAfter) s")
        }
        return errorResponse(status, message: message, request: request, headers: headers)
    }

    static func errorResponse(
        _ status: HTTPResponse.Status, message: String, request: Request, headers: HTTPFields = [:]
    ) -> Response {
        var headers = headers
        let body: String
        if ContentNegotiation.wantsJSON(request) {
            headers[.contentType] = "application/json"
            body = (try? JSONResponse.encode(["error": message])) ?? "{}"
        } else {
            headers[.contentType] = "text/plain; charset=utf-8"
            body = message + "\n"
        }
        if request.method == .head {
            return Response(status: status, headers: headers)
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// Reads what a client will accept.
enum ContentNegotiation {
    /// Whether the `Accept` header asks for JSON.
    static func wantsJSON(_ request: Request) -> Bool {
        request.headers[values: .accept].contains { $0.lowercased().contains("application/json") }
    }
}

/// JSON encoding shared by every JSON body.
enum JSONResponse {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func response(_ status: HTTPResponse.Status, _ value: some Encodable, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: try encode(value) + "\n")))
    }
}

/// Where an error no layer turned into a ``SluiceError`` came from, told by the module that
/// defines its type: the blob store's (S3 client, file system, or a system call's `Errno`,
/// which only the local store's own file calls throw), the database's drivers, or anything
/// else (a bug).
enum FailingPart: String {
    case storage, database, `internal`

    init(of error: any Error) {
        let module = String(reflecting: type(of: error)).prefix { $0 != "." }
        switch module {
        case "SluiceS3", "_NIOFileSystem", "NIOFileSystem", "SystemPackage": self = .storage
        case "PostgresNIO", "_ConnectionPoolModule", "SQLiteNIO", "SQLKit": self = .database
        default: self = .internal
        }
    }
}
