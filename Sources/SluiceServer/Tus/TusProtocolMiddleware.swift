import HTTPTypes
import Hummingbird

/// What every tus request and response under `/files` carries: requests other than `OPTIONS` must
/// speak `Tus-Resumable: 1.0.0` (else 412, before anything is stored); responses other than to
/// `OPTIONS` say `Tus-Resumable`; and CORS headers let a web page on another origin use tus.
struct TusProtocolMiddleware<Context: RequestContext>: RouterMiddleware {
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

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path == "/files" || path.hasPrefix("/files/"), Self.tusMethods.contains(request.method) else {
            // `PUT /files` is an upload of a file named "files", not tus.
            return try await next(request, context)
        }
        var response: Response
        if request.method != .options && request.headers[TusHeaders.tusResumable] != TusHeaders.version {
            response = ErrorMiddleware<Context>.errorResponse(
                .preconditionFailed, message: "this server speaks Tus-Resumable: \(TusHeaders.version)", request: request,
                headers: [TusHeaders.tusVersion: TusHeaders.version])
        } else {
            response = try await next(request, context)
        }
        if request.method != .options {
            response.headers[TusHeaders.tusResumable] = TusHeaders.version
        } else if request.headers[.accessControlRequestMethod] != nil {
            response.headers[.accessControlAllowMethods] = Self.allowedMethods
            response.headers[.accessControlAllowHeaders] = Self.allowedHeaders
            response.headers[.accessControlMaxAge] = "86400"
        }
        if request.headers[.origin] != nil {
            response.headers[.accessControlAllowOrigin] = "*"
            response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
        }
        return response
    }
}
