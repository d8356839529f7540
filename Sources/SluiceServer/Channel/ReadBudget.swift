import NIOCore
import Synchronization

/// Socket reads shared out among the open connections, so that many uploads the server is
/// behind on hold a bounded amount of memory.
///
/// While the server is behind, each connection has up to ``queuedReadsPerConnection`` reads
/// waiting in NIO's and Hummingbird's queues (a bound in messages, not bytes), so the size of
/// one read decides what a connection holds. A few connections read up to ``largestRead`` (a
/// single fast upload is faster with large reads); many read less, down to ``smallestRead``:
/// `bytes` divided among the open connections' queues.
final class ReadBudget: Sendable {
    /// Reads of 128 KiB made a 1 GiB upload 1.2-1.4 s instead of 1.5-1.6 s with NIO's 64 KiB.
    static let largestRead = 128 * 1024
    /// nginx reads request bodies into 16 KiB buffers.
    static let smallestRead = 16 * 1024
    /// `NIOAsyncChannel`'s high watermark (10 messages), the reads of one event beyond it
    /// (`maxMessagesPerRead`, 4).
    static let queuedReadsPerConnection = 14

    /// What all connections' queued reads may hold together, as far as ``smallestRead`` allows.
    let bytes: Int
    private let openConnections = Atomic<Int>(0)

    init(bytes: Int) {
        self.bytes = bytes
    }

    /// The largest read a connection may make now.
    var readLimit: Int {
        let connections = max(1, openConnections.load(ordering: .relaxed))
        let share = bytes / (connections * Self.queuedReadsPerConnection)
        return min(Self.largestRead, max(Self.smallestRead, share))
    }

    /// Counts `channel` among the open connections until it closes, and sizes its reads.
    func manage(_ channel: any Channel) throws {
        openConnections.add(1, ordering: .relaxed)
        channel.closeFuture.whenComplete { _ in self.openConnections.subtract(1, ordering: .relaxed) }
        try channel.syncOptions?.setOption(ChannelOptions.recvAllocator, value: Allocator(budget: self))
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
