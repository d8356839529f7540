import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import SluiceServer

/// `BodyWindowHandler`s sharing one `ReadBudget`, each in a real NIO pipeline (an
/// `EmbeddedChannel`): which `read` calls reach the socket while request bodies arrive, and
/// what the budget has left.
@Suite("Body window")
struct BodyWindowTests {
    static let grant = ReadBudget.grant

    @Test("with the budget spent, connections wait their turn for a grant, first come first served")
    func connectionsTakeTurns() throws {
        let budget = ReadBudget(bytes: 2 * Self.grant)
        let connections = try (0..<4).map { _ in try Connection(budget: budget) }
        for connection in connections { try connection.startUpload() }
        #expect(connections.map(\.reads.count) == [1, 1, 0, 0])
        #expect(budget.available == 0)
        #expect(budget.waitingCount == 2)

        try connections[0].receive(Self.grant)
        try connections[1].receive(Self.grant)
        #expect(connections.map(\.reads.count) == [1, 1, 0, 0], "the bytes still count: no grant is free")
        connections[1].window.release(Self.grant)
        connections.forEach { $0.run() }
        #expect(connections.map(\.reads.count) == [1, 1, 1, 0], "the first in the queue got the grant")
        connections[0].window.release(Self.grant)
        connections.forEach { $0.run() }
        #expect(connections.map(\.reads.count) == [1, 1, 1, 1])
        #expect(budget.waitingCount == 2, "the two that read wait again, behind the others")
        for connection in connections { connection.finish() }
        #expect(budget.available == 2 * Self.grant, "closed connections gave everything back")
    }

    @Test("a read's whole buffer counts until every body byte it brought is released")
    func buffersCountUntilReleased() throws {
        let budget = ReadBudget(bytes: 8 * Self.grant)
        let connection = try Connection.uploading(budget)
        #expect(budget.available == 7 * Self.grant)
        try connection.receive(1000)
        try connection.receive(3000)
        #expect(budget.available == 5 * Self.grant, "two buffers held, a grant for the next read")
        connection.window.release(400)
        #expect(budget.available == 5 * Self.grant, "600 bytes of the first read are left")
        connection.window.release(1000)
        #expect(budget.available == 6 * Self.grant, "the first read's buffer is free")
        connection.window.release(2600)
        #expect(budget.available == 7 * Self.grant)
        connection.window.release(600)
        #expect(budget.available == 7 * Self.grant, "releasing more than is outstanding gives nothing twice")
        connection.finish(givingAllBackTo: budget)
    }

    @Test("a body consumed while its read's messages are still passed on frees the buffer when they end")
    func aBufferConsumedAtOnceIsFreedAtTheEndOfItsRead() throws {
        let budget = ReadBudget(bytes: 4 * Self.grant)
        let connection = try Connection.uploading(budget)
        _ = connection.window.readSize(otherwise: ReadBudget.Allocator.smallest)
        connection.window.readCompleted()
        let pipeline = connection.channel.pipeline.syncOperations
        for _ in 0..<2 {  // two chunks of a chunked body in one read
            pipeline.fireChannelRead(NIOAny(HTTPServerRequestPart.body(ByteBuffer(repeating: 1, count: 500))))
            connection.window.release(500)
            #expect(budget.available == 3 * Self.grant, "more of the read may still come")
        }
        pipeline.fireChannelReadComplete()
        #expect(budget.available == 4 * Self.grant)
        connection.finish()
    }

    @Test("one connection holds at most the largest window; a release that makes room passes a held read on")
    func oneConnectionHoldsAtMostTheLargestWindow() throws {
        let budget = ReadBudget(bytes: 4 * ReadBudget.largestWindow)
        let connection = try Connection.uploading(budget)
        let reads = ReadBudget.largestWindow / Self.grant
        for _ in 0..<reads { try connection.receive(Self.grant) }
        #expect(connection.reads.count == reads, "the last read would overshoot the window: it waits")
        connection.window.release(Self.grant / 2)
        connection.run()
        #expect(connection.reads.count == reads, "still half a grant too much")
        connection.window.release(Self.grant / 2)
        connection.run()
        #expect(connection.reads.count == reads + 1)
        connection.finish(givingAllBackTo: budget)
    }

    @Test("the end of the response gives an unread body's bytes back, and the rest of it needs no grant")
    func responseEndGivesTheBodyBack() throws {
        let budget = ReadBudget(bytes: 2 * Self.grant)
        let connection = try Connection.uploading(budget)
        try connection.receive(Self.grant)
        try connection.receive(Self.grant)
        #expect(connection.reads.count == 2)
        #expect(budget.available == 0)
        try connection.channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .payloadTooLarge)))
        #expect(connection.reads.count == 2, "only the response's end lets go of the body")
        try connection.channel.writeOutbound(HTTPServerResponsePart.end(nil))
        connection.run()
        #expect(budget.available == Self.grant, "the outstanding bytes are back; the waiting read got a grant")
        #expect(connection.reads.count == 3)
        try connection.receive(Self.grant)
        try connection.receive(Self.grant)
        #expect(connection.reads.count == 5, "the discarded rest is never held up")
        #expect(budget.available == 2 * Self.grant)
        connection.finish()
    }

    @Test("a grant no read used within the timeout goes back to the budget, and the queue gets it")
    func anUnusedGrantTimesOut() throws {
        let budget = ReadBudget(bytes: Self.grant)
        let idle = try Connection(budget: budget)
        let waiting = try Connection(budget: budget)
        try idle.startUpload()
        try waiting.startUpload()
        #expect(waiting.reads.count == 0)
        idle.channel.embeddedEventLoop.advanceTime(by: ReadBudget.grantTimeout - .milliseconds(1))
        waiting.run()
        #expect(waiting.reads.count == 0)
        idle.channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        waiting.run()
        #expect(waiting.reads.count == 1)
        try idle.receive(10, readAgain: false)
        #expect(budget.available == -ReadBudget.Allocator.smallest, "a read without a grant gets the smallest buffer, which still counts")
        idle.finish()
        waiting.finish()
        #expect(budget.available == Self.grant)
    }

    @Test("a connection that closes while it waits gives its turn to the next")
    func aClosedConnectionLeavesTheQueue() throws {
        let budget = ReadBudget(bytes: Self.grant)
        let connections = try (0..<3).map { _ in try Connection(budget: budget) }
        for connection in connections { try connection.startUpload() }
        connections[1].finish()
        connections[0].finish()
        connections[2].run()
        #expect(connections[2].reads.count == 1)
        connections[2].finish()
        #expect(budget.available == Self.grant)
        #expect(budget.waitingCount == 0)
    }

    @Test("requests without a body, and WebSocket frames, never wait for a grant")
    func otherReadsPass() throws {
        let connection = try Connection(budget: ReadBudget(bytes: 0))
        try connection.channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/file")))
        connection.channel.read()
        connection.channel.read()
        #expect(connection.reads.count == 2)
        _ = try connection.channel.readInbound(as: HTTPServerRequestPart.self)
        try connection.channel.writeInbound(ByteBuffer(repeating: 1, count: 4 * Self.grant))
        connection.channel.read()
        #expect(connection.reads.count == 3)
        #expect(try connection.channel.readInbound(as: ByteBuffer.self)?.readableBytes == 4 * Self.grant)
        connection.finish()
    }

    /// An embedded channel with a ``BodyWindowHandler`` whose `read` calls, on their way to
    /// the socket, are counted.
    struct Connection {
        let channel = EmbeddedChannel()
        let reads = ReadCounter()
        let window: BodyWindow

        init(budget: ReadBudget) throws {
            window = BodyWindow(budget: budget, eventLoop: channel.embeddedEventLoop)
            try channel.pipeline.syncOperations.addHandlers([reads, BodyWindowHandler(window: window)])
        }

        /// A connection on which an upload started.
        static func uploading(_ budget: ReadBudget) throws -> Connection {
            let connection = try Connection(budget: budget)
            try connection.startUpload()
            return connection
        }

        /// A `PUT` head, then the route's first `read`.
        func startUpload() throws {
            let head = HTTPRequestHead(version: .http1_1, method: .PUT, uri: "/file", headers: ["Content-Length": "100000000"])
            try channel.writeInbound(HTTPServerRequestPart.head(head))
            channel.read()
        }

        /// A socket read of `count` body bytes, as NIO makes it (a buffer, the read, its
        /// messages), then the route's next `read`.
        func receive(_ count: Int, readAgain: Bool = true) throws {
            _ = window.readSize(otherwise: ReadBudget.Allocator.smallest)
            window.readCompleted()
            try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(repeating: 1, count: count)))
            if readAgain { channel.read() }
        }

        /// Runs what other threads handed to the event loop.
        func run() {
            channel.embeddedEventLoop.run()
        }

        func finish() {
            _ = try? channel.finish()
        }

        /// Closes the connection, which must leave the whole of `budget` available again.
        func finish(givingAllBackTo budget: ReadBudget, sourceLocation: SourceLocation = #_sourceLocation) {
            finish()
            #expect(budget.available == budget.bytes, "closing gives everything back", sourceLocation: sourceLocation)
        }
    }

    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = Any
        private(set) var count = 0

        func read(context: ChannelHandlerContext) {
            count += 1
            context.read()
        }
    }
}
