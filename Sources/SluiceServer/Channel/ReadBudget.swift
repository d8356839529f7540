import NIOCore
import Synchronization

/// Memory for request bodies on their way from the sockets to the routes, shared out among the
/// open connections, so that many uploads the server is behind on hold a bounded amount.
///
/// Each connection may have ``windowLimit`` body bytes outstanding (its ``BodyWindow``): `bytes`
/// divided among the open connections, between ``smallestWindow`` and ``largestWindow``. Its
/// socket reads are as large as its window (a power of two), at most ``largestRead``, one read
/// per wake-up, each into a buffer of its own: a single fast upload reads large pieces, a
/// thousand read small ones, each of which storage writes as it is (see `WriteBuffers`)
/// instead of gathering it into a second buffer.
final class ReadBudget: Sendable {
    /// Reads of 128 KiB made a 1 GiB upload 1.2-1.4 s instead of 1.5-1.6 s with NIO's 64 KiB.
    static let largestRead = 128 * 1024
    static let largestWindow = 1 << 20
    /// nginx reads request bodies into 16 KiB buffers.
    static let smallestWindow = 16 * 1024

    /// What all connections' windows may hold together, as far as ``smallestWindow`` allows.
    let bytes: Int
    private let openConnections = Atomic<Int>(0)

    init(bytes: Int) {
        self.bytes = bytes
    }

    /// The body bytes a connection may have outstanding now.
    var windowLimit: Int {
        let connections = max(1, openConnections.load(ordering: .relaxed))
        return min(Self.largestWindow, max(Self.smallestWindow, bytes / connections))
    }

    /// The largest read a connection may make now: a power of two, since ByteBuffer rounds the
    /// capacity it is asked for up to one (a limit of 33 KiB made reads of 64 KiB).
    var readLimit: Int {
        Self.readLimit(window: windowLimit)
    }

    /// Whether a connection with `outstanding` body bytes may read now: only if a read of the
    /// largest size still fits its window, so the window is a bound, not a threshold one read
    /// may overshoot. (Overshooting, 1000 uploads held twice their windows.)
    func allowsRead(outstanding: Int) -> Bool {
        let window = windowLimit
        return outstanding + Self.readLimit(window: window) <= window
    }

    private static func readLimit(window: Int) -> Int {
        let limit = min(largestRead, window)
        return 1 << (Int.bitWidth - 1 - limit.leadingZeroBitCount)
    }

    /// Counts `channel` among the open connections until it closes, and sizes its reads.
    func manage(_ channel: any Channel) throws {
        openConnections.add(1, ordering: .relaxed)
        channel.closeFuture.whenComplete { _ in self.openConnections.subtract(1, ordering: .relaxed) }
        let options = channel.syncOptions
        try options?.setOption(ChannelOptions.maxMessagesPerRead, value: 1)
        try options?.setOption(ChannelOptions.recvAllocator, value: Allocator(budget: self))
    }

    /// Reads as large as the last read needed, doubling while reads fill their buffer and
    /// halving when they use a quarter of it, never more than the budget's ``readLimit``.
    ///
    /// Every read gets a buffer of its own, freed as soon as the route consumed it. NIO's
    /// pooled receive buffer, which it reuses when the route is done with it, only ever grows:
    /// connections opened while few were open kept 64-128 KiB each for their whole life, and
    /// 1000 uploads held 116 MB in receive buffers (heaptrack). Declining to name a size
    /// (`nextBufferSize` nil, `record` always "may grow") keeps NIO from reusing one.
    struct Allocator: RecvByteBufferAllocator {
        static let smallest = 2048

        let budget: ReadBudget
        private var size = Self.smallest

        init(budget: ReadBudget) {
            self.budget = budget
        }

        func nextBufferSize() -> Int? {
            nil
        }

        func buffer(allocator: ByteBufferAllocator) -> ByteBuffer {
            allocator.buffer(capacity: min(size, budget.readLimit))
        }

        mutating func record(actualReadBytes: Int) -> Bool {
            if actualReadBytes >= size, size < ReadBudget.largestRead {
                size *= 2
            } else if actualReadBytes <= size / 4, size > Self.smallest {
                size /= 2
            }
            return true
        }
    }
}
