import NIOCore
import NIOEmbedded
import NIOPosix
import Synchronization
import Testing

@testable import SluiceServer

/// `ReadBudget` sizes the socket reads of the connections of a real listening socket that are
/// not in a request body (the grants of body reads: `BodyWindowTests`).
@Suite struct ReadBudgetTests {
    /// Room for four connections' largest windows.
    static let budgetBytes = 4 * ReadBudget.largestWindow

    @Test func readsOutsideABodyShrinkAsConnectionsOpenAndGrowBackAsTheyClose() async throws {
        let budget = ReadBudget(bytes: Self.budgetBytes)
        let group = MultiThreadedEventLoopGroup.singleton
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try budget.manage(channel, window: BodyWindow(budget: budget, eventLoop: channel.eventLoop))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        #expect(budget.readLimit == ReadBudget.grant)

        var clients: [any Channel] = []
        for _ in 0..<16 { clients.append(try await ClientBootstrap(group: group).connect(to: server.localAddress!).get()) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(budget.readLimit == ReadBudget.grant, "a quarter of a mebibyte each, at most one grant")
        for _ in 0..<32 { clients.append(try await ClientBootstrap(group: group).connect(to: server.localAddress!).get()) }
        // 4 MiB / 48 = 87,381 bytes, which ByteBuffer would round up to 128 KiB: a power of two below.
        try await waitUntil { budget.readLimit == 64 * 1024 }
        for _ in 0..<216 { clients.append(try await ClientBootstrap(group: group).connect(to: server.localAddress!).get()) }
        try await waitUntil { budget.readLimit == 16 * 1024 }
        try await Task.sleep(for: .milliseconds(200))
        #expect(budget.readLimit == 16 * 1024, "never below 16 KiB")

        for client in clients { try await client.close() }
        try await waitUntil { budget.readLimit == ReadBudget.grant }
    }

    @Test func readsOutsideABodyGrowWhileTheyFillTheirBufferAndShrinkWhenTheyDoNot() {
        let budget = ReadBudget(bytes: Self.budgetBytes)
        var allocator = ReadBudget.Allocator(window: BodyWindow(budget: budget, eventLoop: EmbeddedEventLoop()))
        let bytes = ByteBufferAllocator()
        var sizes: [Int] = []
        for _ in 0..<8 {
            let buffer = allocator.buffer(allocator: bytes)
            sizes.append(buffer.capacity)
            _ = allocator.record(actualReadBytes: buffer.capacity)
        }
        #expect(sizes.first == ReadBudget.Allocator.smallest)
        #expect(sizes.last == ReadBudget.grant)
        #expect(sizes == sizes.sorted())

        _ = allocator.record(actualReadBytes: 100)
        _ = allocator.record(actualReadBytes: 100)
        #expect(allocator.buffer(allocator: bytes).capacity == ReadBudget.grant / 4)
    }

    /// NIO's pooled receive buffer, reused once the reader let go of it, never shrinks: a
    /// connection that once read 128 KiB would hold that much for its whole life.
    @Test func aSmallReadAfterLargeOnesGetsASmallBufferOfItsOwn() async throws {
        let budget = ReadBudget(bytes: Self.budgetBytes)
        let recorder = ReadRecorder()
        let group = MultiThreadedEventLoopGroup.singleton
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try budget.manage(channel, window: BodyWindow(budget: budget, eventLoop: channel.eventLoop))
                    try channel.pipeline.syncOperations.addHandler(recorder)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let client = try await ClientBootstrap(group: group).connect(to: server.localAddress!).get()
        defer { client.close(promise: nil) }
        func received() -> Int { recorder.reads.withLock { $0.reduce(0) { $0 + $1.bytes } } }

        let large = 4 << 20
        try await client.writeAndFlush(ByteBuffer(repeating: 1, count: large))
        try await waitUntil { received() == large }
        #expect(recorder.reads.withLock { $0.map(\.storage).max() } == ReadBudget.grant)
        for piece in 1...12 {
            try await client.writeAndFlush(ByteBuffer(repeating: 2, count: 100))
            try await waitUntil { received() == large + piece * 100 }
        }
        let last = try #require(recorder.reads.withLock { $0.last })
        #expect(last.bytes == 100)
        #expect(last.storage == ReadBudget.Allocator.smallest)
    }
}

/// Records the size and the storage capacity of every read, and lets go of the buffer.
private final class ReadRecorder: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let reads = Mutex<[(bytes: Int, storage: Int)]>([])

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        reads.withLock { $0.append((buffer.readableBytes, buffer.storageCapacity)) }
    }
}
