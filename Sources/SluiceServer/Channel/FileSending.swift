import NIOCore
import NIOHTTP1
import SluiceCore

/// Sends a blob's bytes as the body of the response being written, from its file straight to
/// the socket (`sendfile`): the bytes never enter the process, so a download costs no buffers
/// and no copies. Hummingbird writes only `ByteBuffer`s, so the bytes go around it, through
/// the ``FileSendingHandler`` right behind the HTTP encoder; the route writes the response head
/// (with its `Content-Length`) and its end through Hummingbird as usual, before and after.
///
/// The file goes out in chunks of ``chunkSize``, the next one written while the one before is
/// sent (so the socket never waits on this side), each loaded into the page cache on a file
/// thread first when it is not there (``BlobFile/loadIntoCache(_:)``): `sendfile` of a page on
/// disk would wait for it on the event loop.
struct FileSender: Sendable {
    /// The bytes of one `sendfile` write.
    static let chunkSize: Int64 = 8 << 20

    fileprivate let handler: NIOLoopBound<FileSendingHandler>

    /// Sends bytes `range` of `file` and returns once the kernel has taken all of them. On an
    /// error nothing of `file` is in use any more when it throws.
    func send(_ file: any BlobFile, range: ClosedRange<Int64>) async throws {
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
            try await inFlight?.get()
        } catch {
            // Writes complete in order: once the last one has, NIO holds nothing of the file.
            try? await inFlight?.get()
            throw error
        }
    }

    private func write(_ region: FileRegion) -> EventLoopFuture<Void> {
        let handler = self.handler
        return handler.eventLoop.flatSubmit {
            handler.value.write(region) ?? handler.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
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

    /// The handle a route sends files through; to be made on the event loop.
    func sender() -> FileSender {
        FileSender(handler: NIOLoopBound(self, eventLoop: context!.eventLoop))
    }

    /// Writes `region` as a piece of the response body; `nil` once the handler left the pipeline.
    fileprivate func write(_ region: FileRegion) -> EventLoopFuture<Void>? {
        guard let context else { return nil }
        let part = HTTPServerResponsePart.body(.fileRegion(region))
        return context.writeAndFlush(NIOAny(part))
    }
}
