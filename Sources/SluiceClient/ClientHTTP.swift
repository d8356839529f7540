import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Sends requests with async-http-client and turns transport failures (refused connection,
/// timeout, broken stream) into ``ClientError/unreachable(_:)``, keeping cancellation as it is.
struct ClientHTTP: Sendable {
    /// The process's one client. A failed connection fails its request at once (retrying is
    /// ``RetryPolicy``'s job, with the user's patience in mind), and a transfer that stalls for
    /// two minutes fails. Like `HTTPClient.shared`, it lives as long as the process.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(120))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    var client: HTTPClient { Self.client }

    /// Sends `request`; the response head must arrive, and the body be read, within `timeout`.
    func execute(_ request: HTTPClientRequest, timeout: TimeAmount = .seconds(60)) async throws -> HTTPClientResponse {
        try await Self.mapTransportErrors(request.url) {
            try await client.execute(request, timeout: timeout)
        }
    }

    /// Sends `request` and reads a small answer body (up to 1 MiB) as text.
    func text(_ request: HTTPClientRequest) async throws -> (response: HTTPClientResponse, body: String) {
        let response = try await execute(request)
        let body = try await Self.mapTransportErrors(request.url) {
            try await response.body.collect(upTo: 1 << 20)
        }
        return (response, String(buffer: body))
    }

    /// Runs `body`, mapping any error but cancellation and ``ClientError`` to `unreachable`.
    static func mapTransportErrors<T>(_ url: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ClientError {
            throw error
        } catch {
            if Task.isCancelled || error is CancellationError { throw CancellationError() }
            let host = URL(string: url).map { "\($0.scheme ?? "http")://\($0.host ?? "")\($0.port.map { ":\($0)" } ?? "")" } ?? url
            throw ClientError.unreachable("cannot reach \(host): \(error)")
        }
    }
}

extension HTTPClientRequest {
    /// A request for `url` with `method` and `headers`.
    init(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = []) {
        self.init(url: url)
        self.method = method
        for (name, value) in headers { self.headers.add(name: name, value: value) }
    }
}
