import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SluiceCore

/// The browser side: `/static/{asset}` (the page's script, style sheet and icon, cached for
/// good), `/favicon.ico` (an empty answer, so browsers log no 404), and the HTML responses
/// that `GET /` (``OperationsRoutes``) and `?page=1` (``DownloadRoutes``) give.
struct PageRoutes: Sendable {
    func register(on router: Router<some RequestContext>) {
        router.get("/static/:asset") { request, context in try Self.asset(request, name: context.parameters.get("asset")) }
        router.head("/static/:asset") { request, context in try Self.asset(request, name: context.parameters.get("asset")) }
        router.get("/favicon.ico") { _, _ in
            Response(status: .noContent, headers: [.cacheControl: "public, max-age=86400"])
        }
    }

    static func asset(_ request: Request, name: String?) throws -> Response {
        guard let asset = name.flatMap(WebAssets.named) else { throw SluiceError.notFound("not found") }
        let headers: HTTPFields = [
            .contentType: asset.contentType,
            .cacheControl: "public, max-age=31536000, immutable",
            .eTag: asset.etag,
            .xContentTypeOptions: "nosniff",
        ]
        if request.headers[values: .ifNoneMatch].contains(where: { $0.contains(asset.etag) || $0 == "*" }) {
            return Response(status: .notModified, headers: headers)
        }
        return body(asset.body, status: .ok, headers: headers, request: request)
    }

    // MARK: Pages

    /// Whether `request` is a browser asking for a page: its `Accept` names `text/html` (or
    /// XHTML) with a weight above 0. curl's `*/*` is not.
    static func wantsHTML(_ request: Request) -> Bool {
        request.headers[values: .accept].joined(separator: ",").split(separator: ",").contains { entry in
            let parts = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let type = parts.first, type == "text/html" || type == "application/xhtml+xml" else { return false }
            let weight = parts.dropFirst().map { $0.replacingOccurrences(of: " ", with: "") }.first { $0.hasPrefix("q=") }
            return weight.map { Double($0.dropFirst(2)) != 0 } ?? true
        }
    }

    /// The upload page, in the request's language.
    static func uploadPage(_ request: Request, links: LinkBuilder) -> Response {
        let setting = setting(request, links: links)
        let base = (try? links.base(for: request)) ?? setting.prefix
        return html(WebPage.upload(setting, base: base), status: .ok, vary: "Accept, Accept-Language", request: request)
    }

    /// The download page of `record`. Reads nothing of the file's bytes and counts no download.
    static func filePage(_ record: FileRecord, request: Request, links: LinkBuilder) throws -> Response {
        let link = links.fileURL(base: try links.base(for: request), record: record)
        return html(WebPage.file(record, link: link, setting(request, links: links)), status: .ok, request: request)
    }

    /// The 404 page for a link that does not work; `reason` is a ``FileRecord/Unavailability`` text.
    static func notFoundPage(reason: String, request: Request, links: LinkBuilder) -> Response {
        let page = WebPage.notFound(FileRecord.Unavailability(rawValue: reason), setting(request, links: links))
        return html(page, status: .notFound, request: request)
    }

    private static func setting(_ request: Request, links: LinkBuilder) -> WebPage.Setting {
        WebPage.Setting(language: Language.of(request), prefix: links.pathPrefix)
    }

    /// What every page's script may do: only load this server's own script, style, images,
    /// media and frames, and talk to this server (WebSockets included).
    static let contentSecurityPolicy =
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; frame-src 'self' blob:; "
        + "connect-src 'self' ws: wss:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
        + "form-action 'self'; frame-ancestors 'none'"

    private static func html(
        _ page: String, status: HTTPResponse.Status, vary: String = "Accept-Language", request: Request
    ) -> Response {
        let headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8",
            .cacheControl: "no-cache",
            .vary: vary,
            .contentSecurityPolicy: contentSecurityPolicy,
            .xContentTypeOptions: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "same-origin",
        ]
        return body(page, status: status, headers: headers, request: request)
    }

    private static func body(_ text: String, status: HTTPResponse.Status, headers: HTTPFields, request: Request) -> Response {
        let buffer = ByteBuffer(string: text)
        guard request.method != .head else {
            var headers = headers
            headers[.contentLength] = String(buffer.readableBytes)
            return Response(status: status, headers: headers)
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }
}
