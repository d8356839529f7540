import NIOCore
import NIOHTTP1
import Synchronization

/// One connection's share of the ``ReadBudget``: the read buffers of its request body held
/// between its socket and the code that consumes them, so that an upload the server is behind
/// on waits in the kernel's socket buffer, as with nginx, instead of in memory.
///
/// Hummingbird's queue between the channel and a route is bounded in messages (ten), not
/// bytes. While a request body arrives, the ``BodyWindowHandler`` lets a `read` through only
/// with a grant from the budget (``ReadBudget/takeGrant(for:)``), waiting its turn when the
/// budget is spent, and only while the connection holds less than
/// ``ReadBudget/largestWindow``. A read's buffer counts against the budget at its whole size
/// (a read of 40 KiB into a buffer of 128 KiB holds 128 KiB) until the reader has handed back
/// every body byte it brought, with ``release(_:)`` as it consumes them
/// (``RequestBodyReader``), or until the response ends: a body the route leaves unread, which
/// Hummingbird discards after the response, is never held up.
final class BodyWindow: Sendable {
    private let budget: ReadBudget
    private let eventLoop: any EventLoop
    private let ledger = Mutex(Ledger())
    private let closed = Atomic<Bool>(false)
    private let state: NIOLoopBoundBox<LoopState>

    /// The reads whose body bytes are not all consumed, oldest first: the reader consumes a body
    /// in the order it came. Shared by the event loop and the reader's thread.
    private struct Ledger {
        var reads = CircularBuffer<HeldRead>()
        /// What the reads' buffers hold together.
        var held = 0
        /// Whether a `read` waits for this connection's own buffers to be released.
        var readWaits = false

        /// Whether another grant fits the connection's largest window.
        var fitsAnotherRead: Bool { held + ReadBudget.grant <= ReadBudget.largestWindow }
    }

    private struct HeldRead {
        /// The size of the read's buffer.
        var cost: Int
        /// Its body bytes not yet consumed.
        var bytes: Int
        /// Whether the read's messages are still being passed on (more bytes may come).
        var open = true
    }

    /// What only the event loop touches.
    private struct LoopState {
        var phase = Phase.betweenBodies
        /// The grant the next socket read may fill; 0 without one.
        var grant = 0
        /// Counts grants given, so that a timeout sees whether its grant is still unused.
        var grantSerial = 0
        /// The size of the buffer the last read was given.
        var lastCapacity = 0
        /// The read whose messages are being passed on.
        var current: CurrentRead?
        var queued = false
        var handler: BodyWindowHandler?
    }

    private struct CurrentRead {
        let cost: Int
        /// Whether the budget has been charged its cost (by a grant, or once it brought body bytes).
        var paid: Bool
        var carriesBody = false
    }

    private enum Phase {
        /// No request body is arriving: reads need no grant.
        case betweenBodies
        /// A request announced a body: its reads count against the budget.
        case receiving
        /// The response ended before the body: the rest is Hummingbird's to discard.
        case discarding
    }

    /// Made on `eventLoop`, the connection's.
    init(budget: ReadBudget, eventLoop: any EventLoop) {
        self.budget = budget
        self.eventLoop = eventLoop
        self.state = NIOLoopBoundBox(LoopState(), eventLoop: eventLoop)
    }

    // MARK: Any thread

    /// `count` bytes of the body were consumed: the buffers they were all that was left of go
    /// back to the budget.
    func release(_ count: Int) {
        let (freed, readAgain) = ledger.withLock { ledger -> (Int, Bool) in
            var remaining = count
            var freed = 0
            while remaining > 0, var oldest = ledger.reads.first {
                let taken = min(remaining, oldest.bytes)
                oldest.bytes -= taken
                remaining -= taken
                guard oldest.bytes == 0, !oldest.open else {
                    ledger.reads[ledger.reads.startIndex] = oldest
                    break
                }
                ledger.reads.removeFirst()
                ledger.held -= oldest.cost
                freed += oldest.cost
            }
            let readAgain = ledger.readWaits && ledger.fitsAnotherRead
            if readAgain { ledger.readWaits = false }
            return (freed, readAgain)
        }
        budget.giveBack(freed)
        if readAgain { eventLoop.execute { self.state.value.handler?.readAgain() } }
    }

    /// The budget's turn for this connection came: a grant for its next read.
    func granted() {
        eventLoop.execute {
            self.state.value.queued = false
            guard !self.isClosed, let handler = self.state.value.handler else {
                self.budget.giveBack(ReadBudget.grant)
                return
            }
            self.hold(grant: ReadBudget.grant)
            handler.readAgain()
        }
    }

    /// Whether the connection is gone, so that a grant for it would be wasted. (A stale
    /// `false` only costs a grant that ``granted()`` hands straight back.)
    var isClosed: Bool {
        closed.load(ordering: .relaxed)
    }

    // MARK: The event loop

    /// Whether a `read` may go to the socket now. If not, it is passed on later, when the
    /// budget grants one or this connection's own buffers make room.
    fileprivate func admitsRead() -> Bool {
        guard state.value.phase == .receiving else { return true }
        guard state.value.grant == 0 else { return true }
        guard !state.value.queued else { return false }
        let fits = ledger.withLock { ledger in
            ledger.readWaits = !ledger.fitsAnotherRead
            return !ledger.readWaits
        }
        guard fits else { return false }
        guard budget.takeGrant(for: self) else {
            state.value.queued = true
            return false
        }
        hold(grant: ReadBudget.grant)
        return true
    }

    /// Holds `grant` until a read fills it, or ``ReadBudget/grantTimeout`` passes.
    private func hold(grant: Int) {
        state.value.grant += grant
        state.value.grantSerial += 1
        let serial = state.value.grantSerial
        eventLoop.scheduleTask(in: ReadBudget.grantTimeout) {
            guard self.state.value.grantSerial == serial else { return }
            self.budget.giveBack(self.state.value.grant)
            self.state.value.grant = 0
        }
    }

    /// The size of the next socket read's buffer: its grant, or for a read outside a request
    /// body `otherwise`, at most the budget's ``ReadBudget/readLimit``.
    func readSize(otherwise size: Int) -> Int {
        let capacity =
            if state.value.grant > 0 {
                state.value.grant
            } else if state.value.phase == .receiving {
                ReadBudget.Allocator.smallest
            } else {
                min(size, budget.readLimit)
            }
        state.value.lastCapacity = capacity
        return capacity
    }

    /// A socket read filled the buffer ``readSize(otherwise:)`` gave it; its messages follow.
    func readCompleted() {
        let paid = state.value.grant > 0
        if paid {
            state.value.grant = 0
            state.value.grantSerial += 1
        }
        state.value.current = CurrentRead(cost: state.value.lastCapacity, paid: paid)
    }

    /// A request head came; any discarding of the last body is over.
    fileprivate func requestStarted(announcingBody: Bool) {
        state.value.phase = announcingBody ? .receiving : .betweenBodies
    }

    /// Body bytes passed on: the read that brought them holds its buffer until they are
    /// consumed.
    fileprivate func passed(_ count: Int) {
        guard state.value.phase == .receiving else { return }
        var read = state.value.current ?? CurrentRead(cost: count, paid: false)
        if !read.paid { budget.spend(read.cost) }
        let isNew = !read.carriesBody
        ledger.withLock { ledger in
            if isNew {
                ledger.reads.append(HeldRead(cost: read.cost, bytes: count))
                ledger.held += read.cost
            } else if var last = ledger.reads.last, last.open {
                last.bytes += count
                ledger.reads[ledger.reads.index(before: ledger.reads.endIndex)] = last
            }
        }
        read.paid = true
        read.carriesBody = true
        state.value.current = read
    }

    /// The request body ended: later reads are for the next request. Returns whether a held
    /// `read` is to be passed on.
    fileprivate func bodyEnded() -> Bool {
        if state.value.phase != .discarding { state.value.phase = .betweenBodies }
        return ledger.withLock { ledger in
            defer { ledger.readWaits = false }
            return ledger.readWaits
        }
    }

    /// A read's messages are through: its buffer goes back if it brought no body, or if the
    /// reader already consumed all it brought.
    fileprivate func readBatchEnded() {
        guard let read = state.value.current else { return }
        state.value.current = nil
        guard read.carriesBody else {
            if read.paid { budget.giveBack(read.cost) }
            return
        }
        let freed = ledger.withLock { ledger -> Int in
            guard var last = ledger.reads.last, last.open else { return 0 }
            last.open = false
            guard last.bytes == 0 else {
                ledger.reads[ledger.reads.index(before: ledger.reads.endIndex)] = last
                return 0
            }
            ledger.reads.removeLast()
            ledger.held -= last.cost
            return last.cost
        }
        budget.giveBack(freed)
    }

    /// The response ended: the buffers the body still holds go back to the budget, and the rest
    /// of it is Hummingbird's to discard. Returns whether a held `read` is to be passed on.
    fileprivate func responseEnded() -> Bool {
        if state.value.phase == .receiving { state.value.phase = .discarding }
        let (freed, readWaited) = ledger.withLock { ledger in
            defer { ledger = Ledger() }
            return (ledger.held, ledger.readWaits)
        }
        budget.giveBack(freed)
        return readWaited
    }

    /// The handler that passes held reads on.
    fileprivate func attach(_ handler: BodyWindowHandler?) {
        state.value.handler = handler
    }

    /// The connection closed: everything it held goes back to the budget.
    fileprivate func close() {
        closed.store(true, ordering: .relaxed)
        state.value.handler = nil
        let held = ledger.withLock { ledger in
            defer { ledger = Ledger() }
            return ledger.held
        }
        let current = state.value.current.map { $0.paid && !$0.carriesBody ? $0.cost : 0 } ?? 0
        budget.giveBack(held + state.value.grant + current)
        state.value.grant = 0
        state.value.grantSerial += 1
        state.value.current = nil
    }
}

/// The channel side of a ``BodyWindow``: right behind the HTTP decoder, it counts body bytes,
/// holds `read` while the window has no grant, and sees requests start and responses end.
/// After a WebSocket upgrade everything passes through untouched.
final class BodyWindowHandler: ChannelDuplexHandler, RemovableChannelHandler {
    /// HTTP parts until a WebSocket upgrade, frames after it.
    typealias InboundIn = Any
    typealias OutboundIn = Any

    let window: BodyWindow
    private var context: ChannelHandlerContext?

    init(window: BodyWindow) {
        self.window = window
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        window.attach(self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        window.close()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) as? HTTPServerRequestPart {
        case .head(let head): window.requestStarted(announcingBody: head.announcesBody)
        case .body(let bytes): window.passed(bytes.readableBytes)
        case .end: if window.bodyEnded() { context.read() }
        case nil: break
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        window.readBatchEnded()
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) as? HTTPServerResponsePart, window.responseEnded() {
            context.read()
        }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        guard window.admitsRead() else { return }
        context.read()
    }

    /// A grant came, or the connection's own bytes made room: try the held read again.
    fileprivate func readAgain() {
        guard let context, window.admitsRead() else { return }
        context.read()
    }
}

extension HTTPRequestHead {
    /// Whether a body follows the head.
    fileprivate var announcesBody: Bool {
        headers.contains(name: "transfer-encoding") || (headers.first(name: "content-length").map { $0 != "0" } ?? false)
    }
}
