import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFileSystem
import NIOPosix
import ServiceLifecycle
import SluiceCore
import SluiceMetadata
import SluiceS3
import SluiceStorage

/// The blob store and metadata store the configuration asks for, the progress hub that fits
/// them (shared through PostgreSQL, or in-process), the services they need running, and the
/// service that closes them at shutdown.
struct Stores {
    let blobs: any BlobStore
    let metadata: any MetadataStore
    let progress: any ProgressPublisher
    let services: [any Service]
    let closer: any Service

    static func open(_ configuration: ServerConfiguration, logger: Logger) async throws -> Stores {
        let dataDirectory = FilePath(configuration.dataDirectory)
        if try await FileSystem.shared.info(forFileAt: dataDirectory) == nil {
            try await FileSystem.shared.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        }
        var closings: [@Sendable () async throws -> Void] = []
        do {
            let blobs: any BlobStore
            // Local storage does its file work on threads of its own, not on NIO's shared
            // blocking pool (two threads on two cores); SQLite has a thread of its own too.
            func localStore(_ root: FilePath) async throws -> LocalBlobStore {
                let threads = NIOThreadPool(numberOfThreads: configuration.fileThreads)
                threads.start()
                closings.append { try await threads.shutdownGracefully() }
                return try await LocalBlobStore(root: root, threads: threads, logger: logger)
            }
            switch try StorageLocation(configuration.storage, awsEnvironment: configuration.awsEnvironment) {
            case .dataDirectory:
                blobs = try await localStore(dataDirectory)
            case .directory(let path):
                blobs = try await localStore(FilePath(path))
            case .s3(let location):
                let httpClient = HTTPClient(
                    eventLoopGroupProvider: .singleton,
                    configuration: .init(
                        timeout: .init(connect: .seconds(10), read: .seconds(60)),
                        connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)))
                closings.append { try await httpClient.shutdown() }
                guard let credentials = S3Credentials.fromEnvironment(configuration.awsEnvironment) else {
                    throw ConfigurationError("--storage s3://…: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
                }
                let client = S3Client(location: location, credentials: credentials, httpClient: httpClient, logger: logger)
                blobs = try await S3BlobStore.open(
                    client: client, spoolDirectory: dataDirectory.appending("spool"), logger: logger)
            }

            let metadata: any MetadataStore
            var progress: any ProgressPublisher = LocalProgressHub()
            var services: [any Service] = []
            func openSQLite(_ path: String) async throws -> any MetadataStore {
                let sqlite = try await SQLiteMetadata.open(path: path, logger: logger)
                closings.append { try await sqlite.close() }
                return sqlite.store
            }
            switch try DatabaseLocation(configuration.database) {
            case .dataDirectory:
                metadata = try await openSQLite(dataDirectory.appending("sluice.sqlite").string)
            case .sqliteFile(let path):
                metadata = try await openSQLite(path)
            case .postgres(let url):
                let instance = configuration.instanceID ?? "\(ProcessInfo.processInfo.hostName):\(configuration.port)"
                let postgres = try await PostgresMetadata.open(url: url, instance: instance, logger: logger)
                closings.append { await postgres.close() }
                metadata = postgres.store
                let hub = PostgresProgressHub(client: postgres.client, logger: logger)
                progress = hub
                services.append(hub)
            }
            let closer = ShutdownAction(name: "close the stores") { [closings] in
                for close in closings.reversed() { try? await close() }
            }
            return Stores(blobs: blobs, metadata: metadata, progress: progress, services: services, closer: closer)
        } catch {
            for close in closings.reversed() { try? await close() }
            throw error
        }
    }
}

/// Where `--storage` points: a local directory, or a bucket of an S3-compatible store.
enum StorageLocation: Equatable {
    case dataDirectory
    case directory(String)
    case s3(S3Location)

    /// `awsEnvironment` gives an `s3://` location its default region (`AWS_REGION`).
    init(_ text: String?, awsEnvironment: [String: String] = [:]) throws {
        guard let text, !text.isEmpty else { self = .dataDirectory; return }
        if text.hasPrefix("file://") {
            self = .directory(String(text.dropFirst("file://".count)))
        } else if text.hasPrefix("s3://") {
            do {
                self = .s3(try S3Location(parsing: text, environment: awsEnvironment))
            } catch {
                throw ConfigurationError("--storage: \(error)")
            }
        } else if text.contains("://") {
            throw ConfigurationError(
                "--storage: expected a directory (a path or file://PATH) or s3://BUCKET[/PREFIX]?endpoint=URL&region=R")
        } else {
            self = .directory(text)
        }
    }
}

/// Where `--database` points: a SQLite file, or a PostgreSQL server shared by many instances.
enum DatabaseLocation: Equatable {
    case dataDirectory
    case sqliteFile(String)
    case postgres(String)

    init(_ text: String?) throws {
        guard let text, !text.isEmpty else { self = .dataDirectory; return }
        if text.hasPrefix("sqlite://") {
            self = .sqliteFile(String(text.dropFirst("sqlite://".count)))
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(text)
        } else if text.contains("://") {
            throw ConfigurationError(
                "--database: expected a SQLite file (a path or sqlite://PATH) or postgres://USER:PASSWORD@HOST:PORT/DB")
        } else {
            self = .sqliteFile(text)
        }
    }
}

/// A configuration value the server cannot start with.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A service that does nothing until shutdown (graceful or cancelled), then runs one clean-up
/// action to its end.
struct ShutdownAction: Service {
    let name: String
    let action: @Sendable () async throws -> Void

    func run() async throws {
        try? await gracefulShutdown()
        // Shielded from the cancellation that may have ended the wait: the clean-up must run.
        try await Task { try await action() }.value
    }
}
