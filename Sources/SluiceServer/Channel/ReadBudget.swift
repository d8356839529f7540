import NIOCore
import Synchronization

/// Memory for request bodies on their way from the sockets to the routes, shared out among the
/// open connections, so that many uploads the server is behind on hold a bounded amount.
///
/// Each connection may have ``windowLimit`` body bytes outstanding (its ``BodyWindow``): `bytes`
/// divided among the open connections, between ``smallestWindow`` and ``largestWindow``. Its
/// socket reads are as large as its window, at most ``largestRead``, one
/// read per wake-up (so NIO keeps one read buffer per connection, not four): a single fast
/// upload reads large pieces, a thousand read small ones, each of which storage writes as it
/// is (see `WriteBuffers`) instead of gathering it into a second buffer.
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

    /// The largest read a connection may make now.
    var readLimit: Int {
        min(Self.largestRead, windowLimit)
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
    struct Allocator: RecvByteBufferAllocator {
        static let smallest = 2048

        let budget: ReadBudget
        private var size = Self.smallest

        init(budget: ReadBudget) {
            self.budget = budget
        }

        func nextBufferSize() -> Int? {
            min(size, budget.readLimit)
        }

        func buffer(allocator: ByteBufferAllocator) -> ByteBuffer {
            allocator.buffer(capacity: min(size, budget.readLimit))
        }

        mutating func record(actualReadBytes: Int) -> Bool {
            if actualReadBytes >= size, size < ReadBudget.largestRead {
                size *= 2
                return true
            }
            if actualReadBytes <= size / 4, size > Self.smallest {
                size /= 2
            }
            return false
        }
    }
}
