import Logging

/// swift-log's `StreamLogHandler`, with the handler's metadata kept as it is and formatted only
/// when a message is written. `StreamLogHandler` formats its metadata each time an entry is set,
/// and Hummingbird sets one (`hb.request.id`) on every request: 2 % of the server's time under
/// small GETs, for lines that mostly go unwritten.
public struct DeferredMetadataLogHandler: LogHandler {
    private var stream: StreamLogHandler
    public var metadata: Logger.Metadata = [:]

    public init(_ stream: StreamLogHandler) {
        self.stream = stream
    }

    public var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        event.metadata = event.metadata.map { metadata.merging($0) { _, explicit in explicit } } ?? metadata
        stream.log(event: event)
    }
}
