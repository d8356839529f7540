import Logging
import Metrics
import NIOHTTP1

/// What becomes of each ``Exchange`` a ``TrafficHandler`` reports: one log line (method, path,
/// status, bytes in and out, milliseconds, whether the response went out whole), the bytes
/// sent, and the duration of a whole download.
struct TrafficLog: Sendable {
    let logger: Logger
    let metrics: TrafficMetrics

    func record(_ exchange: Exchange) {
        metrics.bytesOut.increment(by: exchange.bytesOut)
        if exchange.isDownload && exchange.complete { metrics.downloadDuration.record(exchange.duration) }
        logger.info(
            "\(exchange.method.rawValue) \(exchange.path) \(exchange.status.code)",
            metadata: [
                "in": "\(exchange.bytesIn)", "out": "\(exchange.bytesOut)",
                "ms": "\(exchange.duration.milliseconds)", "complete": "\(exchange.complete)",
            ])
    }
}

extension Metrics.Timer {
    /// Records `duration`.
    func record(_ duration: Duration) {
        recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
