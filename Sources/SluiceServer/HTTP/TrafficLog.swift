import Logging
import Metrics
import NIOHTTP1
import SluiceCore

/// What becomes of each ``Exchange`` a ``TrafficHandler`` reports: one log line (method, path,
/// status, bytes in and out, milliseconds, whether the response went out whole), the bytes
/// sent, and the duration of a whole download.
struct TrafficLog: Sendable {
    let logger: Logger
    let metrics: TrafficMetrics

    func record(_ exchange: Exchange) {
        metrics.bytesOut.increment(by: exchange.bytesOut)
        if exchange.isDownload && exchange.complete { metrics.downloadDuration.record(duration: exchange.duration) }
        logger.info(
            "\(exchange.method.rawValue) \(exchange.path) \(exchange.status.code)",
            metadata: [
                "in": "\(exchange.bytesIn)", "out": "\(exchange.bytesOut)",
                "ms": "\(Int(exchange.duration.seconds * 1000))", "complete": "\(exchange.complete)",
            ])
    }
}
