import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import Prometheus
import SQLiteNIO
import SluiceCore
import SluiceS3
@testable import SluiceServer

/// A real Sluice server on an ephemeral port, for the length of one test: over a real SQLite file
/// and data directory in a fresh temporary folder, or over the real PostgreSQL and S3 servers
/// of ``TestBackend/current``.
struct LiveServer {
    let port: Int
    let dataDirectory: URL
    let clock: ManualWallClock

    var base: String { "http://127.0.0.1:\(port)" }

    /// Runs `body` against a new server configured by `configure`; the server stops afterwards.
    /// `dataDirectory` reuses a folder (for restart tests).
    static func run(
        dataDirectory: URL? = nil,
        clock: ManualWallClock = ManualWallClock(),
        configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: (LiveServer) async throws -> Void
    ) async throws {
        let directory = dataDirectory ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-test-\(UUID().uuidString)")
        // A folder made here is removed afterwards; a folder passed in belongs to the caller.
        defer { if dataDirectory == nil { try? FileManager.default.removeItem(at: directory) } }
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.dataDirectory = directory.path
        configuration.clock = clock
        configuration.sweepInterval = .seconds(3600)
        TestBackend.current.configure(&configuration, dataDirectory: directory)
        configure(&configuration)
        var logger = Logger(label: "sluice-test")
        logger.logLevel = .warning
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = try await buildApplication(configuration, logger: logger, metricsRegistry: sharedMetricsRegistry) { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { return }
            let server = LiveServer(port: port, dataDirectory: directory, clock: clock)
            do {
                try await body(server)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    }

    // MARK: Requests

    /// Sends a request with an in-memory body and collects the answer (bodies up to 64 MiB).
    func request(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: path.hasPrefix("http") ? path : base + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(body) }
        return try await send(request)
    }

    func send(_ request: HTTPClientRequest) async throws -> Answer {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        let body = try await response.body.collect(upTo: 64 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: Array(buffer: body))
    }

    /// `GET /healthz`, asked again for up to 30 s while it answers anything but 200: under the
    /// load of every other test at once a store may miss the server's 3 s health deadline, while
    /// a server that is really unhealthy never answers 200. Returns the last answer.
    func health() async throws -> Answer {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let answer = try await request(.GET, "/healthz")
            if answer.status == 200 || ContinuousClock.now >= deadline { return answer }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Uploads `bytes` with `PUT /{name}` and returns the answer.
    func put(_ name: String, _ bytes: [UInt8], headers: [(String, String)] = []) async throws -> Answer {
        try await request(.PUT, "/" + name, headers: headers, body: bytes)
    }

    /// Uploads `bytes` and returns the link, failing the test on any status but 201.
    func upload(_ name: String, _ bytes: [UInt8], headers: [(String, String)] = []) async throws -> String {
        let answer = try await put(name, bytes, headers: headers)
        guard answer.status == 201 else { throw TestFailure("upload answered \(answer.status): \(answer.text)") }
        return answer.text.trimmingCharacters(in: .newlines)
    }

    // MARK: State of the stores

    /// Every stored blob, relative names, sorted: `blobs/ID` for finished blobs, `tmp/…` for
    /// unfinished writes, `partial/ID` for resumable uploads' bytes. On S3: `blobs/ID` for
    /// objects, `partial/ID` for an open multipart upload or its tails, `spool/…` for parts this
    /// instance gathers before sending them.
    func storedFiles() async throws -> [String] {
        guard case .postgresS3(_, let endpoint) = TestBackend.current else {
            return try localFiles(in: ["blobs", "tmp", "partial"])
        }
        let client = try TestBackend.s3Client(endpoint: endpoint, dataDirectory: dataDirectory)
        var found = Set(try localFiles(in: ["spool"]))
        var token: String?
        repeat {
            let listing = try await client.listObjects(prefix: "", continuationToken: token)
            for object in listing.objects {
                let parts = object.key.split(separator: "/")
                found.insert(parts.first == "files" ? "blobs/\(parts[1])" : "partial/\(parts[1])")
            }
            token = listing.nextContinuationToken
        } while token != nil
        for upload in try await client.listMultipartUploads(prefix: "") {
            found.insert("partial/" + upload.key.dropFirst("files/".count))
        }
        return found.sorted()
    }

    /// Whether a resumable upload's request has begun storing bytes (its partial blob, or on
    /// S3 a spooled part, exists).
    func resumableWriteStarted() async throws -> Bool {
        try await storedFiles().contains { $0.hasPrefix("partial/") || $0.hasPrefix("spool/") }
    }

    private func localFiles(in folders: [String]) throws -> [String] {
        var found: [String] = []
        for folder in folders {
            let root = dataDirectory.appendingPathComponent(folder)
            guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { continue }
            for case let url as URL in enumerator where (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
                found.append(folder + "/" + url.lastPathComponent)
            }
        }
        return found.sorted()
    }

    /// Bytes of resumable uploads the server holds locally so far (whatever a writer still
    /// buffers is not counted): the partial blobs, or on S3 the spooled parts.
    func partialBytes() -> Int {
        let folder = dataDirectory.appendingPathComponent(TestBackend.current.isEmbedded ? "partial" : "spool")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.reduce(0) { total, name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(name).path)
            return total + ((attributes?[.size] as? Int) ?? 0)
        }
    }

    /// Rows of the `files` table, read through a second real database connection.
    func rowCount() async throws -> Int {
        if case .postgresS3(let database, _) = TestBackend.current {
            return try await TestBackend.count("files", database: database, dataDirectory: dataDirectory)
        }
        let connection = try await SQLiteConnection.open(storage: .file(path: dataDirectory.appendingPathComponent("sluice.sqlite").path))
        defer { Task { try? await connection.close() } }
        let rows = try await connection.query("SELECT COUNT(*) AS n FROM files")
        return rows.first?.column("n")?.integer ?? -1
    }
}

/// The one Prometheus registry of the test process: the metrics system can be bootstrapped only
/// once, so every test server reports into it (counts add up across tests).
let sharedMetricsRegistry: PrometheusCollectorRegistry = {
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    return registry
}()

/// A collected HTTP answer.
struct Answer {
    let status: Int
    let headers: HTTPHeaders
    let body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { headers.first(name: name) }
    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(text)")
        }
        return object
    }
}

/// A failed expectation inside a helper.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Deterministic pseudo-random bytes, so a failing size can be reproduced.
func testBytes(_ count: Int, seed: UInt64 = 42) -> [UInt8] {
    var state = seed &+ UInt64(count)
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 33)
    }
}
