import NIOCore
import NIOHTTP1
import SluiceCore

/// Sends a blob's bytes as the body of the response being written, from its file straight to
/// the socket (`sendfile`): the bytes never enter the process, so a download costs no buffers
/// and no copies. Hummingbird writes only `ByteBuffer`s, so the bytes go around it, through
/// the ``FileSendingHandler`` right behind the HTTP encoder; the route writes the response head
/// (with its `Content-Length`) and its end through Hummingbird as usual, before and after.
/// Writes reach the event loop in the order they are made, so the file's bytes go out between
/// the head and the end.
///
/// The file goes out in chunks of ``chunkSize``, the next one written while the one before is
/// sent (so the socket never waits on this side), each loaded into the page cache on a file
/// thread first when it is not there (``BlobFile/loadIntoCache(_:)``): `sendfile` of a page on
/// disk would wait for it on the event loop.
struct FileSender: Sendable {
    /// The bytes of one `sendfile` write.
    static let chunkSize: Int64 = 8 << 20

    let channel: any Channel

    /// Sends bytes `range` of `file`, and closes `file` once the kernel has taken them or the
    /// connection is gone. Returns once the last chunk is handed to the connection, or, with
    /// `waitForLastByte`, once the kernel has taken every byte: a range of one chunk (any Range
    /// request of a player) costs one trip to the event loop and no wait for it.
    func send(_ file: any BlobFile, range: ClosedRange<Int64>, waitForLastByte: Bool) async throws {
        var offset = range.lowerBound
        var inFlight: EventLoopFuture<Void>?
        do {
            while offset <= range.upperBound {
                let end = min(offset + Self.chunkSize, range.upperBound + 1)
                try await file.loadIntoCache(offset..<end)
                let before = inFlight
                inFlight = write(FileRegion(fileHandle: file.handle, readerIndex: Int(offset), endIndex: Int(end)))
                offset = end
                try await before?.get()
            }
        } catch {
            // Writes complete in order: once the last one has, NIO holds nothing of the file.
            try? await inFlight?.get()
            file.close()
            throw error
        }
        guard let last = inFlight else {
            file.close()
            return
        }
        last.whenComplete { _ in file.close() }
        if waitForLastByte { try await last.get() }
    }

    private func write(_ region: FileRegion) -> EventLoopFuture<Void> {
        let channel = self.channel
        return channel.eventLoop.flatSubmit {
            let handler = try? channel.pipeline.syncOperations.handler(type: FileSendingHandler.self)
            return handler?.write(region) ?? channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
        }
    }
}

/// The channel side of a ``FileSender``: sits right behind the HTTP decoder (so its writes go
/// into the HTTP encoder) and passes everything else through untouched.
final class FileSendingHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = Any

    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Writes `region` as a piece of the response body; `nil` once the handler left the pipeline.
    fileprivate func write(_ region: FileRegion) -> EventLoopFuture<Void>? {
        guard let context else { return nil }
        let part = HTTPServerResponsePart.body(.fileRegion(region))
        return context.writeAndFlush(NIOAny(part))
    }
}
