import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Sits between the HTTP codec and Hummingbird on every connection and enforces what the
/// framework leaves open:
///
/// - answers `Expect: 100-continue` (Hummingbird never does, so `curl -T` would stall 1 s),
///   except for a `PUT` whose Content-Length is already over the upload limit or an upload
///   without valid credentials: those get their 413 or 401 without the client ever sending
///   the body;
/// - a response sent before the request body ended (an error such as 413 mid-upload) gets
///   `Connection: close`; the connection then reads and discards what the client is still
///   sending for a short while, so the client sees the answer instead of a reset, and closes;
/// - a later request's header block must arrive within `headerTimeout` of the previous
///   response ending, so a slow-loris client cannot hold a connection (the first request's is
///   timed by ``ConnectionOpeningGuard``: this handler joins the pipeline once that head is read).
final class RequestGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// How long a rejected body is read and discarded before the connection closes.
    static let lingerTime = TimeAmount.seconds(2)
    /// How much of a rejected body is read before the connection closes anyway.
    static let lingerBytes = 64 * 1024 * 1024

    private let maxUploadSize: Int64
    private let uploadAccess: UploadAccess
    private let headerTimeout: TimeAmount
    private var requestBodyOpen = false
    private var requestsReceived = 0
    private var responsesSent = 0
    private var closeAfterResponse = false
    private var discarding = false
    private var discardedBytes = 0
    /// When the header block of the next request must have arrived; `nil` while a request is
    /// being read or answered.
    private var headerDue: NIODeadline?
    /// The one pending check of ``headerDue``, due no later than it. Requests only move the
    /// due time, so a busy connection schedules a check once per `headerTimeout`, not once
    /// per request (scheduling and cancelling were 2 % of a small download's CPU).
    private var headerCheck: Scheduled<Void>?

    init(maxUploadSize: Int64, uploadAccess: UploadAccess, headerTimeout: TimeAmount) {
        self.maxUploadSize = maxUploadSize
        self.uploadAccess = uploadAccess
        self.headerTimeout = headerTimeout
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        headerCheck?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if discarding {
            switch part {
            case .head: break
            case .body(let buffer):
                discardedBytes += buffer.readableBytes
                if discardedBytes > Self.lingerBytes { context.close(promise: nil) }
            case .end: context.close(promise: nil)
            }
            return
        }
        switch part {
        case .head(let head):
            headerDue = nil
            requestBodyOpen = true
            requestsReceived += 1
            if head.headerFields[.expect]?.lowercased() == "100-continue", !isRejectedUpFront(head) {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            }
        case .body:
            break
        case .end:
            requestBodyOpen = false
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if discarding { context.read() }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var response) where requestBodyOpen && response.status.kind != .informational:
            closeAfterResponse = true
            response.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .end where closeAfterResponse:
            context.write(data, promise: promise)
            context.flush()
            startDiscarding(context: context)
        case .end:
            context.write(data, promise: promise)
            responsesSent += 1
            if responsesSent == requestsReceived { startHeaderDeadline(context: context) }
        default:
            context.write(data, promise: promise)
        }
    }

    /// Whether the route will refuse this request before reading its body, so no 100 is sent.
    private func isRejectedUpFront(_ head: HTTPRequest) -> Bool {
        let path = head.path.map { String($0.prefix { $0 != "?" }) } ?? ""
        if UploadAccess.isUpload(method: head.method, path: path) && !uploadAccess.permits(head.headerFields) {
            return true
        }
        guard head.method == .put, let length = head.headerFields[.contentLength].flatMap({ Int64($0) }) else {
            return false
        }
        return length > maxUploadSize
    }

    private func startDiscarding(context: ChannelHandlerContext) {
        discarding = true
        if !requestBodyOpen {
            context.close(promise: nil)
            return
        }
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTime) {
            context.close(promise: nil)
        }
        context.read()
    }

    private func startHeaderDeadline(context: ChannelHandlerContext) {
        let due = NIODeadline.now() + headerTimeout
        headerDue = due
        if headerCheck == nil { checkHeaderDeadline(at: due, context: context) }
    }

    private func checkHeaderDeadline(at deadline: NIODeadline, context: ChannelHandlerContext) {
        headerCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            headerCheck = nil
            guard let due = headerDue else { return }
            if due <= .now() {
                context.close(promise: nil)
            } else {
                checkHeaderDeadline(at: due, context: context)
            }
        }
    }
}
