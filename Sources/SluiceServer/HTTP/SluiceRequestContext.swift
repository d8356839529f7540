import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's basics plus the client's address, which
/// the rate limits count by, whether its connection is still open, and the connection's
/// handlers that routes use.
struct SluiceRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?
    private let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }

    /// Whether the client's connection is still open.
    var connectionIsOpen: Bool { channel.isActive }

    /// Where a reader of the request body hands consumed bytes back (see ``BodyWindow``); `nil`
    /// once the connection closed.
    func bodyWindow() async -> BodyWindow? {
        let channel = self.channel
        return try? await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: BodyWindowHandler.self).window
        }.get()
    }

    /// Where a route sends a file as its response body (see ``FileSender``); `nil` once the
    /// connection closed.
    func fileSender() async -> FileSender? {
        let channel = self.channel
        return try? await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: FileSendingHandler.self).sender()
        }.get()
    }
}
