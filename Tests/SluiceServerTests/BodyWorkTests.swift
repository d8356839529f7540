import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOEmbedded
import SluiceCore
import Testing

@testable import SluiceServer

struct BodyWorkTests {
    @Test(
        "a request that carries a body runs on the body executor's own threads; one without stays on Swift's",
        arguments: [
            (["Content-Length": "5"], true), (["Transfer-Encoding": "chunked"], true),
            (["Content-Length": "0"], false), ([:], false),
        ])
    func requestsWithABodyRunOnTheirOwnExecutor(headers: [String: String], carriesBody: Bool) async throws {
        var fields = HTTPFields()
        for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
        let request = Request(
            head: HTTPRequest(method: .put, scheme: "http", authority: "localhost", path: "/a.txt", headerFields: fields),
            body: RequestBody(buffer: ByteBuffer(string: "hello")))
        let context = SluiceRequestContext(
            source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: Logger(label: "test")))
        let metrics = TrafficMetrics()
        let middleware = RequestMiddleware(
            metrics: metrics,
            access: AccessCheck(access: UploadAccess(tokens: [], users: []), requests: nil, uploads: nil),
            errors: ErrorResponses(logger: Logger(label: "test"), metrics: metrics))
        let seen = Seen()
        _ = try await middleware.handle(request, context: context) { _, _ in
            seen.record()
            // Still there after a suspension: the job that resumes the route runs there too.
            try await Task.sleep(for: .milliseconds(1))
            seen.record()
            return Response(status: .ok)
        }
        #expect(seen.onBodyExecutor == [carriesBody, carriesBody])
        #expect(seen.threadNames.allSatisfy { $0.contains("utility") } == carriesBody, "\(seen.threadNames)")
    }

    /// Where the route ran, each time it looked.
    private final class Seen: @unchecked Sendable {
        var onBodyExecutor: [Bool] = []
        var threadNames: [String] = []

        func record() {
            onBodyExecutor.append(BodyWorkExecutor.isPreferred)
            threadNames.append((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "?")
        }
    }
}
