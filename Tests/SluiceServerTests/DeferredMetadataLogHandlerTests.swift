import Logging
import SluiceServer
import Synchronization
import Testing

/// The server's log handler writes exactly what swift-log's `StreamLogHandler` writes, with the
/// logger's metadata formatted only for lines that are written.
@Suite struct DeferredMetadataLogHandlerTests {
    @Test func writesTheLinesOfStreamLogHandler() {
        let plain = CollectedLines()
        let deferred = CollectedLines()
        var loggers = [
            Logger(label: "sluice") { StreamLogHandler(label: $0, stream: plain, metadataProvider: nil) },
            Logger(label: "sluice") { DeferredMetadataLogHandler(StreamLogHandler(label: $0, stream: deferred, metadataProvider: nil)) },
        ]
        for index in loggers.indices {
            loggers[index].logLevel = .info
            loggers[index].info("no metadata yet")
            loggers[index][metadataKey: "hb.request.id"] = "42"
            loggers[index][metadataKey: "b"] = "2"
            loggers[index].info("with the logger's", metadata: ["a": "1", "b": "explicit"])
            loggers[index].debug("below the level")
            loggers[index][metadataKey: "b"] = nil
            loggers[index].warning("one entry removed", metadata: ["z": ["x", "y"]])
        }
        #expect(plain.lines.count == 3)
        #expect(deferred.lines == plain.lines)
        #expect(deferred.lines[1].hasSuffix(" info sluice: a=1 b=explicit hb.request.id=42 [SluiceServerTests] with the logger's"))
        #expect(deferred.lines[2].hasSuffix(#" warning sluice: hb.request.id=42 z=["x", "y"] [SluiceServerTests] one entry removed"#))
    }
}

/// Lines written to a `StreamLogHandler`, without their timestamps.
private final class CollectedLines: TextOutputStream, Sendable {
    private let collected = Mutex<[String]>([])

    var lines: [String] { collected.withLock { $0 } }

    func write(_ string: String) {
        let line = string.split(separator: " ", maxSplits: 1).last.map { " " + $0.dropLast() } ?? ""
        collected.withLock { $0.append(String(line)) }
    }
}
