import HTTPTypes
import Hummingbird
import NIOCore
import Prometheus
import SluiceCore

/// `GET /healthz`, `GET /metrics`, and `GET /`: the upload page for browsers, plain-text usage otherwise.
struct OperationsRoutes: Sendable {
    let blobs: any BlobStore
    let metadata: any MetadataStore
    let links: LinkBuilder
    let registry: PrometheusCollectorRegistry

    func register(on router: Router<some RequestContext>) {
        router.get("/healthz") { _, _ in
            let (metadata, blobs) = (metadata, blobs)
            // Both at once: the answer waits for the slower check, not for their sum.
            async let databaseAnswers = Self.answers(within: Self.healthTimeout) { try await metadata.checkHealth() }
            async let storageAnswers = Self.answers(within: Self.healthTimeout) { try await blobs.checkHealth() }
            guard await databaseAnswers else { throw SluiceError.unavailable("database unavailable") }
            guard await storageAnswers else { throw SluiceError.unavailable("storage unavailable") }
            return plainText("ok\n")
        }
        router.get("/metrics") { _, _ in
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        router.get("/") { request, _ in
            if PageRoutes.wantsHTML(request) { return PageRoutes.uploadPage(request, links: links) }
            var response = plainText(Usage.text(base: (try? links.base(for: request)) ?? "http://localhost:8080"))
            response.headers[.vary] = "Accept, Accept-Language"
            return response
        }
    }

    /// A store that has not answered a health check by then is unhealthy (a database that went
    /// away may keep a connection attempt waiting for a minute).
    static let healthTimeout: Duration = .seconds(3)

    /// Whether `check` succeeds within `timeout`.
    static func answers(within timeout: Duration, _ check: @escaping @Sendable () async throws -> Void) async -> Bool {
        (try? await withDeadline(timeout, expired: CancellationError(), check)) != nil
    }

    private func plainText(_ text: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// The plain-text page `GET /` gives to curl.
enum Usage {
    static func text(base: String) -> String {
        """
        Sluice: share a file with a link.

        Upload (prints the link; the X-Url-Delete header holds the delete link):
            curl -T movie.mkv \(base)/
            curl -F file=@a.jpg -F file=@b.jpg \(base)/
        Limits:
            curl -T notes.txt -H 'Max-Downloads: 1' -H 'Max-Days: 0.5' \(base)/
        JSON answer:
            curl -T notes.txt -H 'Accept: application/json' \(base)/
        Download (resumable):
            curl -OJ -C - \(base)/ID/NAME
        Info:
            curl '\(base)/ID/NAME?info=1'
        Delete:
            curl -X DELETE \(base)/ID/NAME/TOKEN

        """
    }
}
