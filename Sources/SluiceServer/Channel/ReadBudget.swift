import NIOCore
import Synchronization

/// Memory for request bodies on their way from the sockets to the routes, shared by all
/// connections, so that many uploads the server is behind on hold a bounded amount.
///
/// A connection reading a request body takes ``grant`` bytes of credit before each socket read
/// and reads at most that much (its ``BodyWindow``); the read's buffer counts against the
/// budget until the route has consumed every body byte it brought. When the budget is spent, connections wait their turn in a
/// queue and leave their bytes in the kernel's socket buffer, as with nginx. So a thousand
/// uploads read 128 KiB at a time, a few hundred at once, instead of each its thousandth of
/// the budget in pieces of 32 KiB: the server's work is per read, not per byte (see README,
/// "Measured").
///
/// A connection has at most ``largestWindow`` outstanding. Reads outside a request body (heads,
/// the rest of a body the route left unread) take no credit; they are at most ``readLimit``.
final class ReadBudget: Sendable {
    /// The credit a connection takes for one socket read of a request body, and the read's size.
    /// Reads of 128 KiB made a 1 GiB upload 1.2-1.4 s instead of 1.5-1.6 s with NIO's 64 KiB.
    static let grant = 128 * 1024
    /// What one connection may have outstanding at most.
    static let largestWindow = 1 << 20
    /// A grant a connection has not used within this time goes back to the budget: a client
    /// that stops sending holds nothing another one could use. (A second, not less: with
    /// 250 ms, event loops slowed by a busy machine lost grants before they read, read 2 KiB
    /// instead, and fell further behind.)
    static let grantTimeout = TimeAmount.seconds(1)

    /// What all connections' bodies may hold together.
    let bytes: Int
    private let openConnections = Atomic<Int>(0)
    private let credit: Mutex<Credit>

    /// The budget's unspent bytes, and the windows waiting for a grant, first come first served.
    private struct Credit {
        var available: Int
        var waiting = CircularBuffer<BodyWindow>()
    }

    /// A budget of `bytes`, at least one ``grant``.
    init(bytes: Int) {
        self.bytes = max(bytes, Self.grant)
        self.credit = Mutex(Credit(available: self.bytes))
    }

    /// Bytes of the budget neither granted nor outstanding.
    var available: Int {
        credit.withLock { $0.available }
    }

    /// How many windows wait for a grant.
    var waitingCount: Int {
        credit.withLock { $0.waiting.count }
    }

    /// The largest read outside a request body: the budget shared among the open connections,
    /// a power of two between 16 KiB and ``grant`` (ByteBuffer rounds a capacity up to one).
    var readLimit: Int {
        let share = bytes / max(1, openConnections.load(ordering: .relaxed))
        let limit = min(Self.grant, max(16 * 1024, share))
        return 1 << (Int.bitWidth - 1 - limit.leadingZeroBitCount)
    }

    /// A grant for `window` if the budget has one and nobody waits before it; otherwise
    /// `window` joins the queue, and ``BodyWindow/granted()`` tells it when its turn comes.
    func takeGrant(for window: BodyWindow) -> Bool {
        credit.withLock { credit in
            guard credit.waiting.isEmpty, credit.available >= Self.grant else {
                credit.waiting.append(window)
                return false
            }
            credit.available -= Self.grant
            return true
        }
    }

    /// Spends the buffer of a read that brought body bytes without a grant (a body's first
    /// bytes, which came with its head, or a read after its grant timed out). The budget may go
    /// below zero by such buffers.
    func spend(_ count: Int) {
        guard count > 0 else { return }
        credit.withLock { $0.available -= count }
    }

    /// Returns `count` bytes to the budget and hands grants to the windows waiting for them.
    func giveBack(_ count: Int) {
        guard count > 0 else { return }
        var turns: [BodyWindow] = []
        credit.withLock { credit in
            credit.available += count
            while credit.available >= Self.grant, let next = credit.waiting.popFirst() {
                guard !next.isClosed else { continue }
                credit.available -= Self.grant
                turns.append(next)
            }
        }
        for window in turns { window.granted() }
    }

    /// Counts `channel` among the open connections until it closes, and sizes its reads by
    /// `window`'s grants.
    func manage(_ channel: any Channel, window: BodyWindow) throws {
        openConnections.add(1, ordering: .relaxed)
        channel.closeFuture.whenComplete { _ in self.openConnections.subtract(1, ordering: .relaxed) }
        let options = channel.syncOptions
        try options?.setOption(ChannelOptions.maxMessagesPerRead, value: 1)
        try options?.setOption(ChannelOptions.recvAllocator, value: Allocator(window: window))
    }

    /// A read of a request body is as large as its grant. Other reads are as large as the last
    /// one needed, doubling while reads fill their buffer and halving when they use a quarter
    /// of it, never more than the budget's ``readLimit``.
    ///
    /// Every read gets a buffer of its own, freed as soon as the route consumed it. NIO's
    /// pooled receive buffer, which it reuses when the route is done with it, only ever grows:
    /// connections opened while few were open kept 64-128 KiB each for their whole life, and
    /// 1000 uploads held 116 MB in receive buffers (heaptrack). Declining to name a size
    /// (`nextBufferSize` nil, `record` always "may grow") keeps NIO from reusing one.
    struct Allocator: RecvByteBufferAllocator {
        static let smallest = 2048

        let window: BodyWindow
        private var size = Self.smallest

        init(window: BodyWindow) {
            self.window = window
        }

        func nextBufferSize() -> Int? {
            nil
        }

        func buffer(allocator: ByteBufferAllocator) -> ByteBuffer {
            allocator.buffer(capacity: window.readSize(otherwise: size))
        }

        mutating func record(actualReadBytes: Int) -> Bool {
            window.readCompleted()
            if actualReadBytes >= size, size < ReadBudget.grant {
                size *= 2
            } else if actualReadBytes <= size / 4, size > Self.smallest {
                size /= 2
            }
            return true
        }
    }
}
