import NIOCore
import NIOHTTP1
import Synchronization

/// Bounds in bytes how much of a request body one connection holds between its socket and the
/// code that consumes it, so that an upload the server is behind on waits in the kernel's
/// socket buffer, as with nginx, instead of in memory.
///
/// Hummingbird's queue between the channel and a route is bounded in messages (ten), not
/// bytes. The ``BodyWindowHandler`` counts the body bytes it passes on and stops asking the
/// socket for more once another read might not fit the connection's ``ReadBudget/windowLimit``
/// (``ReadBudget/allowsRead(outstanding:)``); the reader
/// hands bytes back with ``Credit/release(_:)`` as it consumes them (``RequestBodyReader``).
/// The limit holds from a request's head until its response ends: a body the route leaves
/// unread, which Hummingbird discards after the response, is never held up.
final class BodyWindow: Sendable {
    private let budget: ReadBudget
    /// Body bytes passed on and not yet released.
    private let outstanding = Atomic<Int>(0)
    /// Whether a request body is open and its response not yet ended.
    private let enforcing = Atomic<Bool>(false)
    /// Whether a `read` was held back; the release that makes room passes it on.
    private let readHeld = Atomic<Bool>(false)

    init(budget: ReadBudget) {
        self.budget = budget
    }

    /// A request head: nothing of its body is outstanding yet, and the limit applies.
    fileprivate func requestStarted() {
        outstanding.store(0, ordering: .relaxed)
        enforcing.store(true, ordering: .releasing)
    }

    /// The response ended: what is left of the body is Hummingbird's to discard. Returns
    /// whether a held `read` is to be passed on.
    fileprivate func responseEnded() -> Bool {
        enforcing.store(false, ordering: .releasing)
        return readHeld.exchange(false, ordering: .acquiringAndReleasing)
    }

    fileprivate func passed(_ count: Int) {
        outstanding.add(count, ordering: .relaxed)
    }

    /// Whether a `read` must wait; if so it is recorded as held.
    fileprivate func holdRead() -> Bool {
        guard enforcing.load(ordering: .acquiring) else { return false }
        guard !budget.allowsRead(outstanding: outstanding.load(ordering: .acquiring)) else { return false }
        readHeld.store(true, ordering: .releasing)
        // A release between the load and the store did not see the read held: look again.
        if budget.allowsRead(outstanding: outstanding.load(ordering: .acquiring)),
            readHeld.exchange(false, ordering: .acquiringAndReleasing)
        {
            return false
        }
        return true
    }

    /// `count` bytes consumed; returns whether a held `read` is to be passed on.
    fileprivate func release(_ count: Int) -> Bool {
        let now = outstanding.subtract(count, ordering: .acquiringAndReleasing).newValue
        return budget.allowsRead(outstanding: now) && readHeld.exchange(false, ordering: .acquiringAndReleasing)
    }

    /// What a body's reader needs to hand bytes back from any thread.
    struct Credit: Sendable {
        fileprivate let window: BodyWindow
        fileprivate let handler: NIOLoopBound<BodyWindowHandler>

        /// `count` bytes of the body were consumed: they no longer count against the window.
        func release(_ count: Int) {
            guard window.release(count) else { return }
            let handler = self.handler
            handler.eventLoop.execute { handler.value.resumeReading() }
        }
    }
}

/// The channel side of a ``BodyWindow``: right behind the HTTP decoder, it counts body bytes,
/// holds `read` while the window is full, and sees requests start and responses end. After a
/// WebSocket upgrade everything passes through untouched.
final class BodyWindowHandler: ChannelDuplexHandler, RemovableChannelHandler {
    /// HTTP parts until a WebSocket upgrade, frames after it.
    typealias InboundIn = Any
    typealias OutboundIn = Any

    private let window: BodyWindow
    private var context: ChannelHandlerContext?

    init(window: BodyWindow) {
        self.window = window
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// The handle a body's reader releases bytes through; to be made on the event loop.
    func credit() -> BodyWindow.Credit {
        BodyWindow.Credit(window: window, handler: NIOLoopBound(self, eventLoop: context!.eventLoop))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) as? HTTPServerRequestPart {
        case .head: window.requestStarted()
        case .body(let bytes): window.passed(bytes.readableBytes)
        case .end, nil: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) as? HTTPServerResponsePart, window.responseEnded() {
            context.read()
        }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        guard !window.holdRead() else { return }
        context.read()
    }

    fileprivate func resumeReading() {
        context?.read()
    }
}
