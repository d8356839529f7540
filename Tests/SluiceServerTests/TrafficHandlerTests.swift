import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Synchronization
import Testing

@testable import SluiceServer

/// `TrafficHandler` in a real NIO pipeline (an `EmbeddedChannel`): what it reports of each
/// request and response, bodies written as buffers and as files alike.
@Suite("Traffic handler")
struct TrafficHandlerTests {
    @Test("a download's bytes, buffers and file regions, are counted; it is reported once its end was written")
    func reportsADownload() throws {
        let (channel, reported) = try Self.pipeline()
        try channel.writeInbound(Self.request(.GET, "/abc/movie.mkv?inline=1"))
        try channel.writeOutbound(Self.responseHead(.ok, ["Content-Disposition": "attachment"]))
        try channel.writeOutbound(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(repeating: 7, count: 100))))
        let file = try Self.temporaryFile(bytes: 5000)
        defer { try? file.close() }
        try channel.writeOutbound(HTTPServerResponsePart.body(.fileRegion(FileRegion(fileHandle: file, readerIndex: 1000, endIndex: 4000))))
        #expect(reported.all.isEmpty, "nothing is reported before the end")
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        let exchange = try #require(reported.all.first)
        #expect(reported.all.count == 1)
        #expect(exchange.method == .GET && exchange.path == "/abc/movie.mkv" && exchange.status == .ok)
        #expect(exchange.bytesOut == 3100 && exchange.bytesIn == "0")
        #expect(exchange.isDownload && exchange.complete)
        _ = try channel.finish()
    }

    @Test("pipelined requests are matched to their responses in order; an interim 100 is not a response")
    func matchesResponsesInOrder() throws {
        let (channel, reported) = try Self.pipeline()
        try channel.writeInbound(Self.request(.PUT, "/a.txt", ["Content-Length": "11"]))
        try channel.writeInbound(Self.request(.POST, "/files/", ["Transfer-Encoding": "chunked"]))
        try channel.writeOutbound(Self.responseHead(.continue))
        try channel.writeOutbound(Self.responseHead(.created))
        try channel.writeOutbound(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "link\n"))))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        try channel.writeOutbound(Self.responseHead(.notFound, ["Content-Disposition": "attachment"]))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        let exchanges = reported.all
        #expect(exchanges.map(\.path) == ["/a.txt", "/files/"])
        #expect(exchanges.map(\.status) == [.created, .notFound])
        #expect(exchanges.map(\.bytesIn) == ["11", "chunked"])
        #expect(exchanges.map(\.bytesOut) == [5, 0])
        #expect(exchanges.allSatisfy { !$0.isDownload && $0.complete })
        _ = try channel.finish()
    }

    @Test("a response cut by the connection's close is reported once, as incomplete")
    func reportsACutResponse() throws {
        let (channel, reported) = try Self.pipeline()
        try channel.writeInbound(Self.request(.GET, "/abc/big.bin"))
        try channel.writeOutbound(Self.responseHead(.partialContent, ["Content-Disposition": "attachment"]))
        try channel.writeOutbound(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(repeating: 1, count: 64))))
        _ = try channel.finish(acceptAlreadyClosed: true)
        let exchanges = reported.all
        #expect(exchanges.count == 1)
        #expect(exchanges.first?.complete == false && exchanges.first?.bytesOut == 64)
        #expect(exchanges.first?.isDownload == true)
    }

    @Test("after a WebSocket upgrade frames pass through, and nothing more is reported")
    func passesFramesAfterAnUpgrade() throws {
        let (channel, reported) = try Self.pipeline()
        try channel.writeInbound(Self.request(.GET, "/progress/key", ["Upgrade": "websocket"]))
        try channel.writeOutbound(Self.responseHead(.switchingProtocols))
        try channel.writeInbound(ByteBuffer(string: "frame in"))
        try channel.writeOutbound(ByteBuffer(string: "frame out"))
        #expect(try channel.readInbound(as: HTTPServerRequestPart.self) != nil)
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "frame in"))
        #expect(reported.all.isEmpty)
        _ = try channel.finish()
        #expect(reported.all.isEmpty)
    }

    /// What a handler reported, in order.
    private final class Reports: Sendable {
        private let exchanges = Mutex<[Exchange]>([])
        func add(_ exchange: Exchange) { exchanges.withLock { $0.append(exchange) } }
        var all: [Exchange] { exchanges.withLock { $0 } }
    }

    private static func pipeline() throws -> (EmbeddedChannel, Reports) {
        let reported = Reports()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(TrafficHandler(report: reported.add))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, reported)
    }

    private static func request(_ method: HTTPMethod, _ uri: String, _ headers: [String: String] = [:]) -> HTTPServerRequestPart {
        .head(HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders(headers.map { ($0, $1) })))
    }

    private static func responseHead(_ status: HTTPResponseStatus, _ headers: [String: String] = [:]) -> HTTPServerResponsePart {
        .head(HTTPResponseHead(version: .http1_1, status: status, headers: HTTPHeaders(headers.map { ($0, $1) })))
    }

    private static func temporaryFile(bytes: Int) throws -> NIOFileHandle {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("traffic-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: path, contents: Data(count: bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try NIOFileHandle(_deprecatedPath: path)
    }
}
