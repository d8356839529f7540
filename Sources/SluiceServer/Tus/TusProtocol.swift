import HTTPTypes
import Hummingbird

/// What every tus request and response under `/files` carries: requests other than `OPTIONS` must
/// speak `Tus-Resumable: 1.0.0` (else 412, before anything is stored); responses other than to
/// `OPTIONS` say `Tus-Resumable`; and CORS headers let a web page on another origin use tus.
/// ``RequestMiddleware`` applies it around every route, error answers included.
enum TusProtocol {
    static var tusMethods: Set<HTTPRequest.Method> { [.post, .head, .patch, .delete, .options] }
    static var allowedMethods: String { "POST, HEAD, PATCH, DELETE, OPTIONS" }
    static var allowedHeaders: String {
        "Authorization, Origin, X-Requested-With, Content-Type, Upload-Length, Upload-Offset, Tus-Resumable, "
            + "Upload-Metadata, Upload-Defer-Length, Upload-Checksum, X-Progress-Id, X-Password"
    }
    static var exposedHeaders: String {
        "Upload-Offset, Location, Upload-Length, Tus-Version, Tus-Resumable, Tus-Max-Size, Tus-Extension, "
            + "Tus-Checksum-Algorithm, Upload-Metadata, Upload-Defer-Length, Upload-Expires, X-Url, X-Url-Delete, Repr-Digest"
    }

    /// Whether `request` is tus's: under `/files`, with one of its methods (`PUT /files` is an
    /// upload of a file named "files", not tus).
    static func speaks(_ request: Request) -> Bool {
        let path = request.uri.path
        return (path == "/files" || path.hasPrefix("/files/")) && tusMethods.contains(request.method)
    }

    /// The 412 for a tus request in another version of the protocol, before anything runs; `nil`
    /// for any other request.
    static func rejection(of request: Request) -> Response? {
        guard speaks(request), request.method != .options,
            request.headers[TusHeaders.tusResumable] != TusHeaders.version
        else { return nil }
        return ErrorResponses.errorResponse(
            .preconditionFailed, message: "this server speaks Tus-Resumable: \(TusHeaders.version)", request: request,
            headers: [TusHeaders.tusVersion: TusHeaders.version])
    }

    /// Adds to the answer to a tus request what every one carries.
    static func addHeaders(to response: inout Response, answering request: Request) {
        guard speaks(request) else { return }
        if request.method != .options {
            response.headers[TusHeaders.tusResumable] = TusHeaders.version
        } else if request.headers[.accessControlRequestMethod] != nil {
            response.headers[.accessControlAllowMethods] = allowedMethods
            response.headers[.accessControlAllowHeaders] = allowedHeaders
            response.headers[.accessControlMaxAge] = "86400"
        }
        if request.headers[.origin] != nil {
            response.headers[.accessControlAllowOrigin] = "*"
            response.headers[.accessControlExposeHeaders] = exposedHeaders
        }
    }
}
