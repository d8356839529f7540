import Foundation
import Logging
import NIOFileSystem
import ServiceLifecycle
import SluiceCore
import SluiceMetadata
import SluiceStorage

/// The blob store and metadata store the configuration asks for, and the service that closes
/// them at shutdown.
struct Stores {
    let blobs: any BlobStore
    let metadata: any MetadataStore
    let closer: any Service

    static func open(_ configuration: ServerConfiguration, logger: Logger) async throws -> Stores {
        let dataDirectory = FilePath(configuration.dataDirectory)
        if try await FileSystem.shared.info(forFileAt: dataDirectory) == nil {
            try await FileSystem.shared.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        }

        let blobRoot: FilePath
        switch try StorageLocation(configuration.storage) {
        case .dataDirectory: blobRoot = dataDirectory
        case .directory(let path): blobRoot = FilePath(path)
        }
        let blobs = try await LocalBlobStore(root: blobRoot, logger: logger)

        let databasePath: String
        switch try DatabaseLocation(configuration.database) {
        case .dataDirectory: databasePath = dataDirectory.appending("sluice.sqlite").string
        case .sqliteFile(let path): databasePath = path
        }
        let sqlite = try await SQLiteMetadata.open(path: databasePath, logger: logger)
        let closer = ShutdownAction(name: "close SQLite") { try await sqlite.close() }
        return Stores(blobs: blobs, metadata: sqlite.store, closer: closer)
    }
}

/// Where `--storage` points. Only local directories exist yet; `s3://` comes with scale-out.
enum StorageLocation: Equatable {
    case dataDirectory
    case directory(String)

    init(_ text: String?) throws {
        guard let text, !text.isEmpty else { self = .dataDirectory; return }
        if text.hasPrefix("file://") {
            self = .directory(String(text.dropFirst("file://".count)))
        } else if text.contains("://") {
            throw ConfigurationError("--storage \(text): only local directories (a path or file://PATH) are supported")
        } else {
            self = .directory(text)
        }
    }
}

/// Where `--database` points. Only SQLite files exist yet; `postgres://` comes with scale-out.
enum DatabaseLocation: Equatable {
    case dataDirectory
    case sqliteFile(String)

    init(_ text: String?) throws {
        guard let text, !text.isEmpty else { self = .dataDirectory; return }
        if text.hasPrefix("sqlite://") {
            self = .sqliteFile(String(text.dropFirst("sqlite://".count)))
        } else if text.contains("://") {
            throw ConfigurationError("--database \(text): only SQLite files (a path or sqlite://PATH) are supported")
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
