import HTTPTypes
import Hummingbird
import Metrics
import Synchronization

/// One request's metrics, under the names of Hummingbird's `MetricsMiddleware`
/// (`hb_requests` and `http_server_request_duration_seconds` by route, method and status,
/// `http_server_active_requests` by method), plus uploads in flight and their duration; taken
/// by ``RequestMiddleware`` from before the route to its answer.
///
/// Unlike Hummingbird's, it records when the route has answered, not after the body went out,
/// so the response body stays as the route made it (see ``TrafficHandler``, which logs and
/// counts the bodies): the request duration here is the time to the response head; whole
/// downloads are timed by `sluice_download_duration_seconds`.
struct RequestMeasurement {
    private let metrics: TrafficMetrics
    private let method: HTTPRequest.Method
    private let start = ContinuousClock.now
    private let active: Meter
    private let isUpload: Bool

    /// Counts `request` as active, and as an upload in flight if it is one.
    init(_ request: Request, metrics: TrafficMetrics) {
        self.metrics = metrics
        method = request.method
        active = metrics.routes.active(request.method)
        isUpload =
            request.method == .put || request.method == .patch
            || (request.method == .post && (request.uri.path == "/" || request.uri.path.hasPrefix("/files")))
        active.increment()
        if isUpload { metrics.uploadsInFlight.increment() }
    }

    /// Records the answer: the request under its route and status, and its duration.
    func record(_ response: Response, route: String?) {
        let elapsed = start.duration(to: .now)
        if isUpload { metrics.uploadDuration.record(duration: elapsed) }
        let route = metrics.routes.route(route ?? "Unknown", method, response.status)
        route.requests.increment()
        route.duration.record(duration: elapsed)
    }

    /// Ends the request, answered or not: it is no longer active or in flight.
    func end() {
        active.decrement()
        if isUpload { metrics.uploadsInFlight.decrement() }
    }
}

/// The metric objects of each route, method and status, made once (making one looks it up in
/// the registry under a lock).
final class RouteMetrics: Sendable {
    struct Key: Hashable {
        let route: String
        let method: HTTPRequest.Method
        let status: HTTPResponse.Status
    }

    struct Route: Sendable {
        let requests: Counter
        let duration: Metrics.Timer
    }

    private let routes = Mutex<[Key: Route]>([:])
    private let actives = Mutex<[HTTPRequest.Method: Meter]>([:])

    func route(_ route: String, _ method: HTTPRequest.Method, _ status: HTTPResponse.Status) -> Route {
        routes.withLock { routes in
            let key = Key(route: route, method: method, status: status)
            if let known = routes[key] { return known }
            let dimensions = [
                ("http.route", route), ("http.request.method", method.rawValue),
                ("http.response.status_code", String(status.code)),
            ]
            let made = Route(
                requests: Counter(label: "hb.requests", dimensions: dimensions),
                duration: Metrics.Timer(
                    label: "http.server.request.duration", dimensions: dimensions, preferredDisplayUnit: .seconds))
            routes[key] = made
            return made
        }
    }

    func active(_ method: HTTPRequest.Method) -> Meter {
        actives.withLock { actives in
            if let known = actives[method] { return known }
            let made = Meter(label: "http.server.active_requests", dimensions: [("http.request.method", method.rawValue)])
            actives[method] = made
            return made
        }
    }
}
