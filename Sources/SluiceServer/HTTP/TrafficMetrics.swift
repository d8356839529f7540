import Metrics

/// The metrics `/metrics` exposes: requests by route and status, bytes in and out, uploads in
/// flight, upload and download durations, and errors by kind.
struct TrafficMetrics: Sendable {
    let routes = RouteMetrics()
    let bytesIn = Counter(label: "sluice_bytes_in_total")
    let bytesOut = Counter(label: "sluice_bytes_out_total")
    let uploadsInFlight = Meter(label: "sluice_uploads_in_flight")
    let uploadDuration = Metrics.Timer(label: "sluice_upload_duration_seconds", preferredDisplayUnit: .seconds)
    let downloadDuration = Metrics.Timer(label: "sluice_download_duration_seconds", preferredDisplayUnit: .seconds)

    /// Counts one error of `kind` (a ``SluiceError`` short name, `storage` or `database` for an
    /// outage of a store, or `internal`).
    func recordError(_ kind: String) {
        Counter(label: "sluice_errors_total", dimensions: [("kind", kind)]).increment()
    }
}
