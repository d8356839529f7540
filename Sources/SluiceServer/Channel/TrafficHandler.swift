import NIOCore
import NIOHTTP1

/// One request and its response as the connection saw them, once the response has ended or
/// the connection closed before it did.
struct Exchange: Sendable {
    let method: HTTPMethod
    /// The request's path, without its query.
    let path: String
    let status: HTTPResponseStatus
    /// The request's `Content-Length`, `chunked`, or `0`.
    let bytesIn: String
    /// Response body bytes handed to the connection, buffers and files alike.
    let bytesOut: Int
    /// A successful `GET` of a file's bytes (a `200` or `206` with `Content-Disposition`).
    let isDownload: Bool
    /// Whether the whole response went out.
    let complete: Bool
    /// From the request's head to the response's end.
    let duration: Duration
}

/// Right behind the HTTP decoder, sees every request head and every response part, the bodies
/// that ``FileSender`` writes around Hummingbird included, and reports each ``Exchange``.
///
/// Counting here rather than in a middleware leaves each response body as the route made it:
/// Hummingbird sends a one-buffer body with its head and end in one write, which it cannot do
/// for a body wrapped in a closure that counts. After a WebSocket upgrade everything passes
/// through untouched.
final class TrafficHandler: ChannelDuplexHandler, RemovableChannelHandler {
    /// HTTP parts until a WebSocket upgrade, frames after it.
    typealias InboundIn = Any
    typealias OutboundIn = Any

    private struct Request {
        let method: HTTPMethod
        let path: String
        let bytesIn: String
        let start: ContinuousClock.Instant
    }

    private struct Response {
        let request: Request
        let status: HTTPResponseStatus
        let isDownload: Bool
        var bytesOut = 0

        func exchange(complete: Bool) -> Exchange {
            Exchange(
                method: request.method, path: request.path, status: status, bytesIn: request.bytesIn,
                bytesOut: bytesOut, isDownload: isDownload, complete: complete,
                duration: request.start.duration(to: .now))
        }
    }

    /// Requests whose response has not started, oldest first (HTTP/1.1 answers in order).
    private var waiting = CircularBuffer<Request>(initialCapacity: 1)
    /// The response being written.
    private var current: Response?
    private let report: @Sendable (Exchange) -> Void

    init(report: @escaping @Sendable (Exchange) -> Void) {
        self.report = report
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) as? HTTPServerRequestPart {
            let bytesIn = head.headers.first(name: "Content-Length")
                ?? (head.headers.contains(name: "Transfer-Encoding") ? "chunked" : "0")
            let path = head.uri.firstIndex(of: "?").map { String(head.uri[..<$0]) } ?? head.uri
            waiting.append(Request(method: head.method, path: path, bytesIn: bytesIn, start: .now))
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) as? HTTPServerResponsePart {
        case .head(let head) where head.status == .switchingProtocols:
            waiting.removeAll()
        case .head(let head) where head.status.code >= 200:
            if let request = waiting.popFirst() {
                let isDownload = request.method == .GET && (head.status == .ok || head.status == .partialContent)
                    && head.headers.contains(name: "Content-Disposition")
                current = Response(request: request, status: head.status, isDownload: isDownload)
            }
        case .body(let body):
            current?.bytesOut += body.readableBytes
        case .end:
            if let ended = current {
                current = nil
                let promise = promise ?? context.eventLoop.makePromise()
                let report = self.report
                promise.futureResult.whenComplete { result in
                    report(ended.exchange(complete: (try? result.get()) != nil))
                }
                context.write(data, promise: promise)
                return
            }
        case .head, nil:
            break
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let cut = current {
            current = nil
            report(cut.exchange(complete: false))
        }
        context.fireChannelInactive()
    }
}
