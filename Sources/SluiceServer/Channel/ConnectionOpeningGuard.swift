import Foundation
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Guards a connection before the server knows whether it is plain HTTP or a WebSocket
/// upgrade; ``RequestGuardHandler`` joins the pipeline only once the first request head is read.
///
/// Sits in front of the HTTP decoder, on raw bytes:
/// - the first request's header block must arrive within `headerTimeout` (slow-loris);
/// - a request the HTTP parser refuses (bad framing, oversized headers), or whose head is
///   ambiguous (see ``ParserErrorResponder``), gets a bare `400` and the connection closes.
final class ConnectionOpeningGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private static let badRequest = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"

    private let headerTimeout: TimeAmount
    private var deadline: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    /// The last bytes seen, to find a header block's end split across reads.
    private var recent: [UInt8] = []
    private var firstHeadComplete = false
    private var refused = false

    init(headerTimeout: TimeAmount) {
        self.headerTimeout = headerTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { startDeadline(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        startDeadline(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        if !firstHeadComplete {
            let bytes = unwrapInboundIn(data)
            recent += bytes.readableBytesView
            if recent.count >= 4, recent.indices.dropLast(3).contains(where: { recent[$0..<$0 + 4].elementsEqual([13, 10, 13, 10]) }) {
                firstHeadComplete = true
                deadline?.cancel()
                recent = []
            } else {
                recent = Array(recent.suffix(3))
            }
        }
        context.fireChannelRead(data)
    }

    /// Answers `400` and closes; later input is ignored.
    func refuse() {
        guard let context, !refused else { return }
        refused = true
        deadline?.cancel()
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: Self.badRequest))).whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func startDeadline(context: ChannelHandlerContext) {
        guard !firstHeadComplete, deadline == nil else { return }
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: headerTimeout) {
            context.close(promise: nil)
        }
    }
}

/// Right behind the HTTP decoder: turns a parser refusal into the ``ConnectionOpeningGuard``'s
/// `400` instead of a silent close, and refuses the same way request heads that proxies and
/// this server could read differently (RFC 9112 §3.2, §6.1): an HTTP/1.1 request without
/// exactly one `Host`, or a `Transfer-Encoding` other than plain `chunked`.
final class ParserErrorResponder: ChannelInboundHandler, RemovableChannelHandler {
    /// HTTP parts until a WebSocket upgrade, frames after it.
    typealias InboundIn = Any

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) as? HTTPServerRequestPart, Self.isAmbiguous(head) {
            refuse(context: context)
            return
        }
        context.fireChannelRead(data)
    }

    static func isAmbiguous(_ head: HTTPRequestHead) -> Bool {
        let hosts = head.headers["Host"].count
        if hosts > 1 || (hosts == 0 && head.version != .http1_0) { return true }
        let codings = head.headers["Transfer-Encoding"]
        return !codings.isEmpty && (codings.count > 1 || codings[0].trimmingCharacters(in: .whitespaces).lowercased() != "chunked")
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        refuse(context: context)
    }

    private func refuse(context: ChannelHandlerContext) {
        if let opening = try? context.pipeline.syncOperations.handler(type: ConnectionOpeningGuard.self) {
            opening.refuse()
        } else {
            context.close(promise: nil)
        }
    }
}

/// A child channel with the two guards above wrapped around `inner`'s HTTP pipeline, its reads
/// sized by `readBudget`, its exchanges reported to `traffic` (``TrafficHandler``), its request
/// bodies held to a ``BodyWindow``, and a ``FileSendingHandler`` for downloads.
struct GuardedChildChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value

    /// How much a connection's socket may have queued before the channel counts as unwritable.
    /// NIO's default high mark, 64 KiB, is below a 64 KiB body with its head, so every such
    /// response turned the channel unwritable and writable again, and each turn went through
    /// the whole pipeline to Hummingbird's writer (3 % of a Range GET's CPU).
    static var writeBufferWaterMark: ChannelOptions.Types.WriteBufferWaterMark {
        .init(low: 32 * 1024, high: 128 * 1024)
    }

    let inner: Inner
    let headerTimeout: TimeAmount
    let readBudget: ReadBudget
    let traffic: TrafficLog

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let bodyWindow = BodyWindow(budget: readBudget, eventLoop: channel.eventLoop)
        return channel.eventLoop.makeCompletedFuture {
            try readBudget.manage(channel, window: bodyWindow)
            try channel.syncOptions?.setOption(ChannelOptions.writeBufferWaterMark, value: Self.writeBufferWaterMark)
            try channel.pipeline.syncOperations.addHandler(ConnectionOpeningGuard(headerTimeout: headerTimeout))
        }.flatMap {
            inner.setup(channel: channel, logger: logger)
        }.flatMapThrowing { value in
            let decoder = try channel.pipeline.syncOperations.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
            let responder = ParserErrorResponder()
            try channel.pipeline.syncOperations.addHandler(responder, position: .after(decoder.handler))
            let trafficHandler = TrafficHandler(report: traffic.record)
            try channel.pipeline.syncOperations.addHandler(trafficHandler, position: .after(responder))
            let window = BodyWindowHandler(window: bodyWindow)
            try channel.pipeline.syncOperations.addHandler(window, position: .after(trafficHandler))
            try channel.pipeline.syncOperations.addHandler(FileSendingHandler(), position: .after(window))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}
