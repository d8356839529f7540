import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import SluiceCore
import Testing

@testable import SluiceServer

/// ``ImmediateDownloadHandler``: which requests it answers itself (over the real stores of a
/// data directory a live server filled), that its answers are Hummingbird's, that it keeps
/// HTTP/1.1's order, and that Hummingbird's idle timeout still sees its requests.
@Suite(.enabled(if: TestBackend.current.isEmbedded, "only a store that is its database's sole writer keeps records"))
struct ImmediateDownloadTests {
    @Test func answersGetsAndHeadsOfKeptFilesAndPassesOnTheRest() async throws {
        try await withStores { stores, files in
            let handler = ImmediateDownloadHandler(source: source(stores))
            let channel = EmbeddedChannel(handler: handler)
            let id = files["small"]!
            let answered: [(HTTPRequest.Method, String, HTTPFields, HTTPResponse.Status)] = [
                (.get, "/\(id)", [:], .ok),
                (.get, "/\(id)/another-name.txt?inline=1", [:], .ok),
                (.head, "/\(id)/small.txt", [:], .ok),
                (.get, "/\(id)/small.txt", [.range: "bytes=-10"], .partialContent),
                (.get, "/\(id)/small.txt", [.ifNoneMatch: "*"], .notModified),
                (.get, "/\(files["large"]!)", [.range: "bytes=0-65535"], .partialContent),
                (.head, "/\(files["large"]!)", [:], .ok),
            ]
            for (method, path, fields, status) in answered {
                let answer = try send(method, path, fields, through: channel)
                #expect(answer?.status == status, "\(method) \(path) \(fields)")
            }
            let passedOn: [(HTTPRequest.Method, String, HTTPFields)] = [
                (.get, "/\(id)?info=1", [:]),
                (.get, "/\(id)?page=1", [:]),
                (.get, "/\(id)/a/b", [:]),
                (.get, "/\(id)", [.connection: "close"]),
                (.get, "/\(id)", [.contentLength: "3"]),
                (.get, "/\(id)", [.range: "bytes=5000-"]),  // 416
                (.delete, "/\(id)", [:]),
                (.get, "/\(files["large"]!)", [:]),  // larger than a body read whole
                (.get, "/\(files["password"]!)", [:]),
                (.get, "/\(files["unread"]!)", [:]),  // not looked up yet, so not kept
                (.get, "/\(String(repeating: "A", count: 22))", [:]),
            ]
            for (method, path, fields) in passedOn {
                #expect(try send(method, path, fields, through: channel) == nil, "\(method) \(path) \(fields)")
            }
        }
    }

    @Test func aClientOverItsRateLimitIsPassedOnToBeRefused() async throws {
        try await withStores { stores, files in
            let limited = source(stores, requests: RateLimiter(perMinute: 1))
            let channel = EmbeddedChannel(handler: ImmediateDownloadHandler(source: limited))
            let path = "/\(files["small"]!)"
            let first = try send(.get, path, [:], through: channel)
            let second = try send(.get, path, [:], through: channel)
            #expect(first?.status == .ok)
            #expect(second == nil)
        }
    }

    @Test func aRequestBehindOneBeingAnsweredWaitsItsTurn() async throws {
        try await withStores { stores, files in
            let channel = EmbeddedChannel(handler: ImmediateDownloadHandler(source: source(stores)))
            let path = "/\(files["small"]!)"
            #expect(try send(.get, path + "?info=1", [:], through: channel, answerPassedOn: false) == nil)
            // The first is Hummingbird's until its answer ends: the second must follow it.
            #expect(try send(.get, path, [:], through: channel, answerPassedOn: false) == nil)
            try answer(through: channel)
            #expect(try send(.get, path, [:], through: channel) == nil)
            try answer(through: channel)
            #expect(try send(.get, path, [:], through: channel)?.status == .ok)
        }
    }

    @Test func itsAnswersAreHummingbirdsAnswers() async throws {
        try await LiveServer.run { server in
            let link = try await server.upload("Отчёт.html", testBytes(3000))
            let id = String(link.split(separator: "/").dropLast().last!)
            let etag = try #require(try await server.request(.HEAD, link).header("ETag"))
            let variants: [(HTTPMethod, String, [(String, String)])] = [
                (.GET, link, []), (.GET, "/\(id)", []), (.GET, link + "?inline=1", []), (.HEAD, link, []),
                (.GET, link, [("Range", "bytes=100-199")]), (.GET, link, [("Range", "bytes=-5")]),
                (.GET, link, [("If-None-Match", etag)]), (.HEAD, link, [("If-None-Match", etag)]),
                (.GET, link, [("Range", "bytes=0-9"), ("If-Range", etag)]),
                (.GET, link, [("Range", "bytes=0-9"), ("If-Range", "\"x\"")]),
            ]
            for (method, path, headers) in variants {
                // With a `Connection` header the request goes through Hummingbird.
                let routed = try await server.request(method, path, headers: headers + [("Connection", "keep-alive")])
                let immediate = try await server.request(method, path, headers: headers)
                #expect(immediate.status == routed.status, "\(method) \(path) \(headers)")
                #expect(immediate.body == routed.body, "\(method) \(path) \(headers)")
                #expect(
                    Self.comparable(immediate.headers) == Self.comparable(routed.headers),
                    "\(method) \(path) \(headers)")
            }
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await LiveServer.run { server in
            let link = try await server.upload("order.txt", Array("the file".utf8))
            let path = String(link.dropFirst(server.base.count))
            _ = try await server.request(.GET, link)  // now kept
            let connection = try await RawConnection(port: server.port)
            try await connection.send(
                "GET \(path)?info=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let text = try await connection.read(until: "the file")
            await connection.close()
            let info = try #require(text.range(of: "\"sha256\""))
            let body = try #require(text.range(of: "\r\n\r\nthe file"))
            #expect(info.lowerBound < body.lowerBound, "\(text)")
        }
    }

    @Test func aConnectionBusyWithImmediateAnswersOutlivesTheIdleTimeout() async throws {
        let idleTimeout = Duration.seconds(3)
        try await LiveServer.run(configure: { $0.idleTimeout = idleTimeout }) { server in
            let link = try await server.upload("busy.txt", Array("busy".utf8))
            let path = String(link.dropFirst(server.base.count))
            _ = try await server.request(.GET, link)  // now kept
            let connection = try await RawConnection(port: server.port)
            // Requests one after the other's answer for 5 s against a 3 s timeout: a connection
            // whose requests the timeout did not see would be cut at 3 s. (The client pauses
            // 50 ms between them.)
            let start = ContinuousClock.now
            var lastSent = start
            var longestGap = Duration.zero
            var sent = 0
            while ContinuousClock.now - start < .seconds(5), !connection.snapshot.closed {
                sent += 1
                try? await connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Number: \(sent)\r\n\r\n")
                longestGap = max(longestGap, ContinuousClock.now - lastSent)
                lastSent = .now
                let deadline = ContinuousClock.now + .seconds(10)
                while Self.answers(in: connection.snapshot.text) < sent, !connection.snapshot.closed,
                    ContinuousClock.now < deadline
                {
                    try await Task.sleep(for: .milliseconds(10))
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            let (text, closed) = connection.snapshot
            // Under the load of every other test at once this task may not run for seconds; only
            // requests that came less than the timeout apart oblige the server to stay.
            if closed {
                #expect(longestGap >= idleTimeout, "closed with requests at most \(longestGap) apart")
            } else {
                #expect(Self.answers(in: text) == sent)
            }
            await connection.close()
        }
    }

    // MARK: Helpers

    private static func answers(in text: String) -> Int {
        text.components(separatedBy: "HTTP/1.1 200 OK").count - 1
    }

    /// Headers but `Date` (Hummingbird's is cached for a second) and `Connection`.
    private static func comparable(_ headers: HTTPHeaders) -> [String] {
        headers.filter { !["date", "connection"].contains($0.name.lowercased()) }.map { "\($0.name): \($0.value)" }
    }

    private func source(_ stores: Stores, requests: RateLimiter? = nil) -> ImmediateDownloadHandler.Source {
        .init(
            metadata: stores.metadata, blobs: stores.blobs, clock: ManualWallClock(), requests: requests,
            metrics: TrafficMetrics(), serverName: "sluice")
    }

    /// Sends a request without a body; returns the handler's answer, or `nil` when it passed the
    /// request on (checked: both parts came out on the other side), after which an answer as
    /// Hummingbird's goes back through the handler unless `answerPassedOn` is false.
    private func send(
        _ method: HTTPRequest.Method, _ path: String, _ fields: HTTPFields, through channel: EmbeddedChannel,
        answerPassedOn: Bool = true
    ) throws -> HTTPResponse? {
        let head = HTTPRequest(method: method, scheme: nil, authority: "127.0.0.1", path: path, headerFields: fields)
        try channel.writeInbound(HTTPRequestPart.head(head))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        if case .head(let response) = try channel.readOutbound(as: HTTPResponsePart.self) {
            var length = 0
            while case .body(let chunk) = try channel.readOutbound(as: HTTPResponsePart.self) { length += chunk.readableBytes }
            if method == .get, let declared = response.headerFields[.contentLength] { #expect(Int(declared) == length) }
            return response
        }
        guard case .head = try channel.readInbound(as: HTTPRequestPart.self),
            case .end = try channel.readInbound(as: HTTPRequestPart.self)
        else { throw TestFailure("\(method) \(path) was neither answered nor passed on") }
        if answerPassedOn { try answer(through: channel) }
        return nil
    }

    /// Writes an answer as Hummingbird does, through the handler.
    private func answer(through channel: EmbeddedChannel) throws {
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        while try channel.readOutbound(as: HTTPResponsePart.self) != nil {}
    }

    /// Files uploaded through a live server, then the stores over its data directory with every
    /// file but `unread` looked up once (so kept in memory).
    private func withStores(_ body: (Stores, [String: String]) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var files: [String: String] = [:]
        try await LiveServer.run(dataDirectory: directory) { server in
            for (name, size, headers) in [
                ("small", 1000, []), ("large", 100_000, []), ("password", 10, [("X-Password", "secret")]),
                ("unread", 10, []),
            ] {
                let link = try await server.upload("\(name).txt", testBytes(size), headers: headers)
                files[name] = String(link.split(separator: "/").dropLast().last!)
            }
        }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = directory.path
        configuration.clock = ManualWallClock()
        let stores = try await Stores.open(configuration, logger: Logger(label: "test"))
        do {
            for (name, id) in files where name != "unread" { _ = try await stores.metadata.find(FileID(id)!) }
            try await body(stores, files)
        } catch {
            try? await (stores.closer as? ShutdownAction)?.action()
            throw error
        }
        try await (stores.closer as? ShutdownAction)?.action()
    }
}
