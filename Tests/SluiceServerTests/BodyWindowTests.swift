import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import SluiceServer

/// `BodyWindowHandler` in a real NIO pipeline (an `EmbeddedChannel`): which `read` calls reach
/// the socket while a request body is outstanding, released, and after its response.
@Suite("Body window")
struct BodyWindowTests {
    /// With no budget to share, every connection gets the smallest window, and reads as large.
    static let window = ReadBudget.smallestWindow

    @Test("a read goes on only while one of the largest size still fits the window; a release that makes room passes a held read on")
    func holdsUntilReleased() throws {
        // One connection's whole budget: the largest window, read in pieces of the largest read.
        let (channel, reads, handler) = try Self.pipeline(budget: ReadBudget(bytes: ReadBudget.largestWindow))
        let room = ReadBudget.largestWindow - ReadBudget.largestRead
        try channel.writeInbound(Self.head)
        channel.read()
        #expect(reads.count == 1)
        try Self.receive(room, on: channel)
        #expect(reads.count == 2, "one more read of the largest size still fits: it goes on")
        try Self.receive(100, on: channel)
        #expect(reads.count == 2, "the next read could overshoot the window: it waits")

        let credit = handler.credit()
        credit.release(50)
        channel.embeddedEventLoop.run()
        #expect(reads.count == 2, "still 50 bytes too many")
        credit.release(50)
        channel.embeddedEventLoop.run()
        #expect(reads.count == 3, "the release that made room passed the held read on")
        try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(repeating: 1, count: 10)))
        credit.release(10)
        channel.embeddedEventLoop.run()
        #expect(reads.count == 3, "no read was held, so none is made up")
        _ = try channel.finish()
    }

    @Test("the end of the response lets the rest of an unread body through, and the next request starts anew")
    func responseEndOpensTheWindow() throws {
        let (channel, reads, _) = try Self.pipeline()
        try channel.writeInbound(Self.head)
        try Self.receive(2 * Self.window, on: channel)
        #expect(reads.count == 0)
        try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .conflict)))
        #expect(reads.count == 0, "only the response's end lets go of the body")
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(reads.count == 1, "the held read goes on with the response's end")
        try Self.receive(2 * Self.window, on: channel)
        #expect(reads.count == 2, "after the response the rest of the body is not held up")

        try channel.writeInbound(Self.head)
        channel.read()
        #expect(reads.count == 3, "a new request counts from zero")
        try Self.receive(1, on: channel)
        #expect(reads.count == 3, "and is held to the window again: a read as large as the window no longer fits")
        _ = try channel.finish()
    }

    @Test("after a WebSocket upgrade frames and raw bytes pass through and reads are never held")
    func otherMessagesPass() throws {
        let (channel, reads, _) = try Self.pipeline()
        try channel.writeInbound(ByteBuffer(repeating: 1, count: 4 * Self.window))
        channel.read()
        #expect(reads.count == 1)
        #expect(try channel.readInbound(as: ByteBuffer.self)?.readableBytes == 4 * Self.window)
        _ = try channel.finish()
    }

    /// Passes a body part of `count` bytes through the pipeline, then asks for the next read.
    static func receive(_ count: Int, on channel: EmbeddedChannel) throws {
        try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(repeating: 1, count: count)))
        channel.read()
    }

    static let head = HTTPServerRequestPart.head(HTTPRequestHead(version: .http1_1, method: .PUT, uri: "/file"))

    /// An embedded channel with a ``BodyWindowHandler`` whose `read` calls, on their way to the
    /// socket, are counted.
    static func pipeline(budget: ReadBudget = ReadBudget(bytes: 0)) throws -> (EmbeddedChannel, ReadCounter, BodyWindowHandler) {
        let channel = EmbeddedChannel()
        let reads = ReadCounter()
        let handler = BodyWindowHandler(window: BodyWindow(budget: budget))
        try channel.pipeline.syncOperations.addHandlers([reads, handler])
        return (channel, reads, handler)
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
