import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import SluiceServer

/// `ReadBudget` shares body windows and socket reads out among the open connections of a real
/// listening socket.
@Suite struct ReadBudgetTests {
    /// Room for four connections' largest windows.
    static let budgetBytes = 4 * ReadBudget.largestWindow

    @Test func readsShrinkAsConnectionsOpenAndGrowBackAsTheyClose() async throws {
        let budget = ReadBudget(bytes: Self.budgetBytes)
        let group = MultiThreadedEventLoopGroup.singleton
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in channel.eventLoop.makeCompletedFuture { try budget.manage(channel) } }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        #expect(budget.windowLimit == ReadBudget.largestWindow)
        #expect(budget.readLimit == ReadBudget.largestRead)

        var clients: [any Channel] = []
        for _ in 0..<16 { clients.append(try await ClientBootstrap(group: group).connect(to: server.localAddress!).get()) }
        try await waitUntil { budget.windowLimit == ReadBudget.largestWindow / 4 }
        #expect(budget.readLimit == ReadBudget.largestRead, "as large as the window, at most the largest read")
        for _ in 0..<48 { clients.append(try await ClientBootstrap(group: group).connect(to: server.localAddress!).get()) }
        try await waitUntil { budget.windowLimit == 64 * 1024 }
        #expect(budget.readLimit == 64 * 1024)
        for _ in 0..<200 { clients.append(try await ClientBootstrap(group: group).connect(to: server.localAddress!).get()) }
        try await waitUntil { budget.windowLimit == ReadBudget.smallestWindow }
        try await Task.sleep(for: .milliseconds(200))
        #expect(budget.windowLimit == ReadBudget.smallestWindow, "never below the smallest window")
        #expect(budget.readLimit == ReadBudget.smallestWindow, "reads as small as the smallest window, no smaller")

        for client in clients { try await client.close() }
        try await waitUntil { budget.windowLimit == ReadBudget.largestWindow && budget.readLimit == ReadBudget.largestRead }
    }

    @Test func readsGrowWhileTheyFillTheirBufferUpToTheLimitAndShrinkWhenTheyDoNot() {
        let budget = ReadBudget(bytes: Self.budgetBytes)
        var allocator = ReadBudget.Allocator(budget: budget)
        let bytes = ByteBufferAllocator()
        var sizes: [Int] = []
        for _ in 0..<8 {
            let buffer = allocator.buffer(allocator: bytes)
            sizes.append(buffer.capacity)
            _ = allocator.record(actualReadBytes: buffer.capacity)
        }
        #expect(sizes.first == ReadBudget.Allocator.smallest)
        #expect(sizes.last == ReadBudget.largestRead)
        #expect(sizes == sizes.sorted())

        _ = allocator.record(actualReadBytes: 100)
        _ = allocator.record(actualReadBytes: 100)
        #expect(allocator.buffer(allocator: bytes).capacity == ReadBudget.largestRead / 4)
    }

    @Test func readsArePowersOfTwoThatFitTheWindow() {
        let budget = ReadBudget(bytes: 100_000)
        #expect(budget.windowLimit == 100_000)
        #expect(budget.readLimit == 64 * 1024, "ByteBuffer would round 100,000 up to 128 KiB")
        #expect(budget.allowsRead(outstanding: 100_000 - 64 * 1024))
        #expect(!budget.allowsRead(outstanding: 100_000 - 64 * 1024 + 1))
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
                    try budget.manage(channel)
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
        #expect(recorder.reads.withLock { $0.map(\.storage).max() } == ReadBudget.largestRead)
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
