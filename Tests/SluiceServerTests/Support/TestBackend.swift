import AsyncHTTPClient
import Foundation
import Logging
import PostgresNIO
import SluiceS3
import Synchronization
@testable import SluiceServer

/// Which stores the live test servers run on, from `SLUICE_TEST_BACKEND`:
/// - unset or `embedded`: SQLite and local disk in each server's data directory;
/// - `postgres-s3`: the PostgreSQL server of `SLUICE_TEST_DATABASE` (a schema per server) and
///   the S3 store of `SLUICE_TEST_S3_ENDPOINT` (bucket `sluice-tests`, a key prefix per server),
///   both started by `scripts/services/up`.
enum TestBackend {
    case embedded
    case postgresS3(database: String, s3Endpoint: String)

    static let current: TestBackend = {
        let environment = ProcessInfo.processInfo.environment
        switch environment["SLUICE_TEST_BACKEND"] ?? "embedded" {
        case "embedded":
            return .embedded
        case "postgres-s3":
            guard let database = environment["SLUICE_TEST_DATABASE"], let endpoint = environment["SLUICE_TEST_S3_ENDPOINT"]
            else {
                fatalError("SLUICE_TEST_BACKEND=postgres-s3 needs SLUICE_TEST_DATABASE and SLUICE_TEST_S3_ENDPOINT (scripts/services/up)")
            }
            return .postgresS3(database: database, s3Endpoint: endpoint)
        case let other:
            fatalError("SLUICE_TEST_BACKEND=\(other): expected embedded or postgres-s3")
        }
    }()

    static let bucket = "sluice-tests"

    /// The schema and key prefix of the server on `dataDirectory` (the same again on a restart).
    static func name(of dataDirectory: URL) -> String {
        "t_" + dataDirectory.lastPathComponent.lowercased().filter { $0.isLetter || $0.isNumber }
    }

    /// Points `configuration` at this backend's stores for the server on `dataDirectory`.
    func configure(_ configuration: inout ServerConfiguration, dataDirectory: URL) {
        guard case .postgresS3(let database, let endpoint) = self else { return }
        let name = Self.name(of: dataDirectory)
        configuration.database = database + (database.contains("?") ? "&" : "?") + "search_path=\(name)&max_connections=4"
        configuration.storage = "s3://\(Self.bucket)/\(name)/?endpoint=\(endpoint)&region=us-east-1"
        configuration.instanceID = "test"
        configuration.awsEnvironment = ProcessInfo.processInfo.environment.filter { $0.key.hasPrefix("AWS_") }
    }

    /// An S3 client on the server's key prefix.
    static func s3Client(endpoint: String, dataDirectory: URL) throws -> S3Client {
        let location = try S3Location(parsing: "s3://\(bucket)/\(name(of: dataDirectory))/?endpoint=\(endpoint)&region=us-east-1")
        guard let credentials = S3Credentials.fromEnvironment(ProcessInfo.processInfo.environment) else {
            throw TestFailure("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
        }
        return S3Client(location: location, credentials: credentials, httpClient: .shared, logger: Logger(label: "test-s3"))
    }

    /// Counts the rows of `table` in the schema of the server on `dataDirectory`.
    static func count(_ table: String, database: String, dataDirectory: URL) async throws -> Int {
        let client = try sharedClient(database)
        let query = PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \(name(of: dataDirectory)).\(table)")
        let rows = try await client.query(query, logger: Logger(label: "test-pg")).collect()
        return try rows.first?.decode(Int.self) ?? -1
    }

    /// One small connection pool for the whole test process (a pool per question would use up
    /// the server's connections while many tests wait for a condition).
    private static func sharedClient(_ database: String) throws -> PostgresClient {
        try sharedClients.withLock { clients in
            if let client = clients[database] { return client }
            var configuration = try PostgresClient.Configuration(url: database)
            configuration.options.maximumConnections = 4
            let client = PostgresClient(configuration: configuration, backgroundLogger: Logger(label: "test-pg"))
            Task.detached { await client.run() }
            clients[database] = client
            return client
        }
    }

    private static let sharedClients = Mutex<[String: PostgresClient]>([:])
}

extension PostgresClient.Configuration {
    /// A client configuration from a `postgres://USER:PASSWORD@HOST:PORT/DB` test URL (no TLS).
    init(url: String) throws {
        guard let components = URLComponents(string: url), let host = components.host, let user = components.user else {
            throw TestFailure("not a PostgreSQL URL: \(url)")
        }
        self.init(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: String(components.path.dropFirst()), tls: .disable)
    }
}

extension TestBackend {
    var isEmbedded: Bool {
        if case .embedded = self { return true }
        return false
    }
}
