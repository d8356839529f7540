import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import SluiceCore
import SluiceParsing
import SluiceServer

/// The `sluice` command line (started by main.swift).
struct SluiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "An asynchronous file host: upload a file, get a link.",
        subcommands: [Serve.self, Upload.self, Download.self, Info.self, Delete.self],
        defaultSubcommand: Serve.self
    )
}

/// `sluice serve`: runs the file host. Every flag also reads `SLUICE_<FLAG>` from the environment.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the file host.")

    @Option(help: "Address to listen on (SLUICE_HOST). [default: 0.0.0.0]")
    var host: String?
    @Option(help: "Port to listen on (SLUICE_PORT). [default: 8080]")
    var port: Int?
    @Option(help: "Directory for the SQLite file and the blobs (SLUICE_DATA_DIR). [default: ./sluice-data]")
    var dataDir: String?
    @Option(help: "BASE of every link, e.g. https://example.org/files (SLUICE_PUBLIC_URL). [default: http:// and the Host header]")
    var publicURL: String?
    @Option(help: "Largest file: bytes, or a number with KB/MB/GB/TB (powers of 1000) or KiB/MiB/GiB/TiB (SLUICE_MAX_UPLOAD_SIZE). [default: 1TiB]")
    var maxUploadSize: String?
    @Option(help: "Most bytes all files together may take, as for --max-upload-size; past it uploads get 507 (SLUICE_STORAGE_QUOTA). [default: no quota]")
    var storageQuota: String?
    @Option(name: .customLong("upload-token"), help: "A token that may upload, as `Authorization: Bearer TOKEN` or as the Basic password; repeatable (SLUICE_UPLOAD_TOKENS, comma-separated). [default: anyone may upload]")
    var uploadTokens: [String] = []
    @Option(name: .customLong("upload-user"), help: "USER:PASSWORD that may upload with HTTP Basic; repeatable (SLUICE_UPLOAD_USERS, comma-separated). [default: anyone may upload]")
    var uploadUsers: [String] = []
    @Option(help: "Requests a client address may make a minute, then 429 (SLUICE_RATE_LIMIT). [default: no limit]")
    var rateLimit: Int?
    @Option(help: "Uploads a client address may start a minute, then 429 (SLUICE_UPLOAD_RATE_LIMIT). [default: no limit]")
    var uploadRateLimit: Int?
    @Option(help: "Metadata database: a SQLite file path, or postgres://USER:PASSWORD@HOST:PORT/DB shared by many instances (SLUICE_DATABASE). [default: DATA_DIR/sluice.sqlite]")
    var database: String?
    @Option(help: "Blob storage: a directory, or s3://BUCKET[/PREFIX]?endpoint=URL&region=R with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (SLUICE_STORAGE). [default: DATA_DIR]")
    var storage: String?
    @Option(help: "This instance's name among those sharing a PostgreSQL database; keep it across restarts (SLUICE_INSTANCE_ID). [default: HOSTNAME:PORT]")
    var instanceID: String?
    @Option(help: "An unfinished resumable (tus) upload is removed this long after its last byte: seconds, or a number with s/m/h/d (SLUICE_TUS_EXPIRY). [default: 24h]")
    var tusExpiry: String?
    @Option(help: "A connection that sends nothing for this long is closed: seconds, or s/m/h/d (SLUICE_IDLE_TIMEOUT). [default: 60s]")
    var idleTimeout: String?
    @Option(help: "A request's header block must arrive within this time: seconds, or s/m/h/d (SLUICE_HEADER_TIMEOUT). [default: 30s]")
    var headerTimeout: String?
    @Option(help: "Threads for the blocking file work of local storage; an fsync holds one until the disk is done (SLUICE_FILE_THREADS). [default: 16]")
    var fileThreads: Int?
    @Option(help: "What the request bodies of all connections may hold in memory on their way to storage, as for --max-upload-size, at least 128KiB; connections read their bodies 128 KiB at a time while it lasts, and wait their turn when it is spent (SLUICE_READ_BUDGET). [default: 32MiB]")
    var readBudget: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical (SLUICE_LOG_LEVEL). [default: info]")
    var logLevel: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        func value(_ option: String?, _ name: String) -> String? { option ?? environment["SLUICE_\(name)"] }

        var configuration = ServerConfiguration()
        if let host = value(host, "HOST") { configuration.host = host }
        if let text = value(port.map(String.init), "PORT") {
            guard let port = Int(text), (0...65535).contains(port) else { throw ValidationError("invalid port: \(text)") }
            configuration.port = port
        }
        if let dataDir = value(dataDir, "DATA_DIR") { configuration.dataDirectory = dataDir }
        configuration.publicURL = value(publicURL, "PUBLIC_URL")
        if let text = value(maxUploadSize, "MAX_UPLOAD_SIZE") {
            guard let size = ByteSize.parse(text), size > 0 else { throw ValidationError("invalid --max-upload-size: \(text)") }
            configuration.maxUploadSize = size
        }
        if let text = value(storageQuota, "STORAGE_QUOTA") {
            guard let size = ByteSize.parse(text), size > 0 else { throw ValidationError("invalid --storage-quota: \(text)") }
            configuration.storageQuota = size
        }
        func list(_ options: [String], _ name: String) -> [String] {
            options.isEmpty ? (environment["SLUICE_\(name)"] ?? "").split(separator: ",").map(String.init) : options
        }
        configuration.uploadTokens = list(uploadTokens, "UPLOAD_TOKENS")
        guard configuration.uploadTokens.allSatisfy({ !$0.isEmpty }) else { throw ValidationError("empty --upload-token") }
        configuration.uploadUsers = try list(uploadUsers, "UPLOAD_USERS").map { entry in
            let halves = entry.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard halves.count == 2, !halves[0].isEmpty, !halves[1].isEmpty else {
                throw ValidationError("--upload-user takes USER:PASSWORD, got \(entry)")
            }
            return (String(halves[0]), String(halves[1]))
        }
        func perMinute(_ option: Int?, _ name: String, flag: String) throws -> Int? {
            guard let text = value(option.map(String.init), name) else { return nil }
            guard let count = Int(text), count > 0 else { throw ValidationError("invalid \(flag): \(text)") }
            return count
        }
        configuration.requestsPerMinute = try perMinute(rateLimit, "RATE_LIMIT", flag: "--rate-limit")
        configuration.uploadsPerMinute = try perMinute(uploadRateLimit, "UPLOAD_RATE_LIMIT", flag: "--upload-rate-limit")
        configuration.database = value(database, "DATABASE")
        configuration.storage = value(storage, "STORAGE")
        configuration.instanceID = value(instanceID, "INSTANCE_ID")
        configuration.awsEnvironment = environment.filter { $0.key.hasPrefix("AWS_") }
        func duration(_ option: String?, _ name: String, flag: String) throws -> Duration? {
            guard let text = value(option, name) else { return nil }
            guard let duration = DurationText.parse(text), duration > .zero else { throw ValidationError("invalid \(flag): \(text)") }
            return duration
        }
        if let expiry = try duration(tusExpiry, "TUS_EXPIRY", flag: "--tus-expiry") { configuration.tusExpiry = expiry }
        if let idle = try duration(idleTimeout, "IDLE_TIMEOUT", flag: "--idle-timeout") { configuration.idleTimeout = idle }
        if let header = try duration(headerTimeout, "HEADER_TIMEOUT", flag: "--header-timeout") {
            configuration.headerTimeout = header
        }
        if let text = value(fileThreads.map(String.init), "FILE_THREADS") {
            guard let count = Int(text), (1...1024).contains(count) else { throw ValidationError("invalid --file-threads: \(text)") }
            configuration.fileThreads = count
        }
        if let text = value(readBudget, "READ_BUDGET") {
            guard let size = ByteSize.parse(text), ((128 << 10)...(1 << 40)).contains(size) else {
                throw ValidationError("invalid --read-budget: \(text) (128KiB to 1TiB)")
            }
            configuration.readBudget = Int(size)
        }
        if let text = value(logLevel, "LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: text.lowercased()) else { throw ValidationError("invalid log level: \(text)") }
            configuration.logLevel = level
        }

        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = DeferredMetadataLogHandler(StreamLogHandler.standardOutput(label: label))
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "sluice")
        let app = try await buildApplication(configuration, logger: logger, metricsRegistry: registry)
        try await app.runService()
    }
}
