import Foundation
import HTTPTypes
import HummingbirdCore
import Metrics
import NIOCore
import NIOHTTPTypes
import SluiceCore
import SluiceParsing

/// Answers the downloads that need no waiting on the event loop itself, without a task or a
/// trip through Hummingbird's router: a `GET` or `HEAD` of a file whose record the metadata
/// store keeps in memory and whose bytes, at most ``maximumBody`` of them, are in the page
/// cache. Such a request costs about a third less CPU than one through the router.
///
/// Everything else goes on to Hummingbird untouched: other routes, `?info=1` and `?page=1`,
/// files with a password or a download limit, `416`s, bodies that are larger or not cached,
/// requests with a body or a `Connection` header, a client over its rate limit, and every
/// request that arrives while one passed on is still being answered (HTTP/1.1 answers in
/// order). Both ways answer from ``DownloadAnswer`` with Hummingbird's `Date` and `Server`, so
/// a client cannot tell them apart; the access log, the byte counters and the route metrics
/// count both.
///
/// Sits right behind Hummingbird's connection-state handler (see ``ImmediateDownloadInstaller``),
/// which so sees these requests too: its idle timeout and graceful shutdown count them.
final class ImmediateDownloadHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// What the handlers of all connections share.
    struct Source: Sendable {
        let metadata: any MetadataStore
        let blobs: any BlobStore
        let clock: any WallClock
        /// Every request of a client, as ``AccessCheck`` counts them; `nil` for no limit.
        let requests: RateLimiter?
        let metrics: TrafficMetrics
        let serverName: String
    }

    /// The largest body answered here: as large as ``DownloadRoutes`` reads whole.
    static let maximumBody = DownloadRoutes.wholeBodyLimit

    private struct Answer {
        let head: HTTPResponse
        let body: ByteBuffer?
        let route: String
        let method: HTTPRequest.Method
        let start: ContinuousClock.Instant
    }

    private let source: Source
    /// Requests passed on to Hummingbird whose response has not ended.
    private var passedOn = 0
    /// The answer to the request being read, written at its end.
    private var answer: Answer?
    /// The `Date` header of the current second.
    private var date = (second: Int64.min, text: "")
    /// The headers of the file asked for last: a client often asks for several ranges of one file.
    private var described: (id: FileID, description: DownloadAnswer.Description)?

    init(source: Source) {
        self.source = source
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            if passedOn == 0, let answer = answer(to: request, from: context.channel.remoteAddress) {
                self.answer = answer
                return
            }
            passedOn += 1
        case .body:
            break  // only requests without a body are answered here
        case .end:
            if let answer = answer.take() {
                write(answer, context: context)
                return
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), passedOn > 0 { passedOn -= 1 }
        context.write(data, promise: promise)
    }

    private func write(_ answer: Answer, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(answer.head)), promise: nil)
        if let body = answer.body { context.write(wrapOutboundOut(.body(body)), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        let route = source.metrics.routes.route(answer.route, answer.method, answer.head.status)
        route.requests.increment()
        route.duration.record(duration: answer.start.duration(to: .now))
    }

    /// The whole answer to `request` when it can be given here and now; `nil` to pass it on.
    private func answer(to request: HTTPRequest, from client: SocketAddress?) -> Answer? {
        let start = ContinuousClock.now
        let fields = request.headerFields
        guard request.method == .get || request.method == .head, !fields.announcesBody,
            fields[.connection] == nil, let target = request.path
        else { return nil }
        let uri = URI(target)
        let query = uri.queryParameters
        guard query["page"] != "1", query["info"] != "1", let (id, route) = Self.fileID(in: uri.path),
            let record = source.metadata.keptRecord(id), record.passwordHash == nil,
            record.unavailability(at: source.clock.now) == nil
        else { return nil }

        let status: HTTPResponse.Status
        var headers: HTTPFields
        var body: ByteBuffer?
        let description = described?.id == id ? described!.description : DownloadAnswer.Description(record)
        described = (id, description)
        switch DownloadAnswer(
            record: record, description: description, method: request.method, headers: fields, inline: query["inline"] == "1")
        {
        case .notModified(let fileHeaders):
            (status, headers) = (.notModified, fileHeaders)
        case .unsatisfiable, .bytes(_, _, _, takesSlot: true):
            return nil
        case .bytes(let answered, let fileHeaders, let range, takesSlot: false):
            (status, headers) = (answered, fileHeaders)
            let length = range?.count ?? 0
            headers[.contentLength] = String(length)
            if request.method == .get, let range {
                guard length <= Self.maximumBody, let bytes = source.blobs.readIfCached(id, range: range) else { return nil }
                body = bytes
            }
        }
        if let requests = source.requests, requests.take(for: RateLimiter.clientKey(client)) != nil { return nil }
        headers[.date] = currentDate()
        headers[.server] = source.serverName
        return Answer(
            head: HTTPResponse(status: status, headerFields: headers), body: body, route: route, method: request.method,
            start: start)
    }

    /// The file id in `path` (`/{id}` or `/{id}/{name}`) and the route's name in the metrics.
    private static func fileID(in path: String) -> (FileID, String)? {
        let bytes = path.utf8
        let slash = UInt8(ascii: "/")
        guard bytes.first == slash else { return nil }
        let idStart = bytes.index(after: bytes.startIndex)
        let idEnd = bytes[idStart...].firstIndex(of: slash) ?? bytes.endIndex
        guard let id = FileID(String(path[idStart..<idEnd])) else { return nil }
        if idEnd == bytes.endIndex { return (id, "/{id}") }
        let name = bytes[bytes.index(after: idEnd)...]
        guard !name.isEmpty, !name.contains(slash) else { return nil }
        return (id, "/{id}/{name}")
    }

    private func currentDate() -> String {
        let now = Date()
        let second = Int64(now.timeIntervalSince1970.rounded(.down))
        if second != date.second { date = (second, HTTPDate.format(now)) }
        return date.text
    }
}

/// Puts an ``ImmediateDownloadHandler`` right behind Hummingbird's connection-state handler
/// when the connection's first request arrives, then leaves. Hummingbird adds that handler
/// after the ones it is given, and on a connection that may become a WebSocket only once the
/// first request came, so this one stands in its place among them until then.
final class ImmediateDownloadInstaller: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart

    private let source: ImmediateDownloadHandler.Source

    init(source: ImmediateDownloadHandler.Source) {
        self.source = source
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let pipeline = context.pipeline.syncOperations
        if let state = try? pipeline.context(handlerType: HTTPConnectionStateHandler.self) {
            try? pipeline.addHandler(ImmediateDownloadHandler(source: source), position: .after(state.handler))
        }
        context.fireChannelRead(data)
        pipeline.removeHandler(context: context, promise: nil)
    }
}
