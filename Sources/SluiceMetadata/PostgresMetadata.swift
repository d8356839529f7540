import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresKit
import PostgresNIO
import SQLKit
import SluiceCore

/// A PostgreSQL database shared by many instances, with the ``SQLMetadataStore`` on it: a pool
/// of connections (postgres-nio's `PostgresClient`), migrations under an advisory lock, and
/// the notifications that carry progress between instances.
public final class PostgresMetadata: Sendable {
    /// The metadata store over this database, as one instance.
    public let store: SQLMetadataStore
    /// The connection pool; also used for `LISTEN`/`NOTIFY`.
    public let client: PostgresClient
    private let running: Task<Void, Never>

    private init(store: SQLMetadataStore, client: PostgresClient, running: Task<Void, Never>) {
        self.store = store
        self.client = client
        self.running = running
    }

    /// Connects to the database `url` names (`postgres://` or `postgresql://USER:PASSWORD@HOST:PORT/DB`,
    /// `?sslmode=disable|prefer|require`, default `prefer`; `&search_path=SCHEMA` to keep the
    /// tables in a schema of their own; `&max_connections=N` for the pool, default 20) as
    /// `instance`, and brings its schema up to date.
    public static func open(url: String, instance: String, logger: Logger) async throws -> PostgresMetadata {
        let configuration = try PostgresURL.configuration(url)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let running = Task { await client.run() }
        let database = PostgresPoolDatabase(client: client, logger: logger)
        let store = SQLMetadataStore(database: database, instance: instance, migrationLock: AdvisoryMigrationLock(client: client))
        do {
            if let schema = try PostgresURL.schema(url) {
                _ = try await client.query("CREATE SCHEMA IF NOT EXISTS \(unescaped: schema)", logger: logger).collect()
            }
            try await store.migrate()
        } catch {
            running.cancel()
            throw error
        }
        return PostgresMetadata(store: store, client: client, running: running)
    }

    /// Closes every connection; the store must not be used afterwards.
    public func close() async {
        running.cancel()
        await running.value
    }
}

/// Parses the `--database` URL of a PostgreSQL server.
enum PostgresURL {
    static func configuration(_ text: String) throws -> PostgresClient.Configuration {
        guard let url = URLComponents(string: text), url.scheme == "postgres" || url.scheme == "postgresql",
            let host = url.host, !host.isEmpty, let user = url.user, !user.isEmpty
        else {
            throw InvalidDatabaseURL(text: text, reason: "expected postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        let tls: PostgresClient.Configuration.TLS
        switch url.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer" {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case "require": tls = .require(.makeClientConfiguration())
        case let mode: throw InvalidDatabaseURL(text: text, reason: "sslmode \(mode) is not disable, prefer or require")
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: url.port ?? 5432, username: user.removingPercentEncoding ?? user,
            password: url.password.map { $0.removingPercentEncoding ?? $0 },
            database: database.isEmpty ? nil : database, tls: tls)
        let poolSize = url.queryItems?.first(where: { $0.name == "max_connections" })?.value ?? "20"
        guard let maximumConnections = Int(poolSize), (1...1000).contains(maximumConnections) else {
            throw InvalidDatabaseURL(text: text, reason: "max_connections must be 1...1000")
        }
        configuration.options.maximumConnections = maximumConnections
        if let schema = try schema(text) {
            configuration.options.additionalStartupParameters = [("search_path", schema)]
        }
        return configuration
    }

    /// The schema `?search_path=` names: lower-case letters, digits and `_` only.
    static func schema(_ text: String) throws -> String? {
        guard let schema = URLComponents(string: text)?.queryItems?.first(where: { $0.name == "search_path" })?.value
        else { return nil }
        guard !schema.isEmpty, schema.count <= 63,
            schema.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") })
        else {
            throw InvalidDatabaseURL(text: text, reason: "search_path must be 1-63 lower-case letters, digits or _")
        }
        return schema
    }

    /// A `--database` URL that does not name a PostgreSQL server.
    struct InvalidDatabaseURL: Error, CustomStringConvertible {
        let text: String
        let reason: String
        var description: String {
            // Never print the password.
            let shown = text.replacingOccurrences(of: #":[^:@/]*@"#, with: ":***@", options: .regularExpression)
            return "invalid database URL \(shown): \(reason)"
        }
    }
}

/// SQLKit's `SQLDatabase` over the connection pool: each statement runs on a connection leased
/// for it; a session keeps one connection (for transactions).
struct PostgresPoolDatabase: SQLDatabase {
    let client: PostgresClient
    let logger: Logger

    var eventLoop: any EventLoop { PostgresClient.defaultEventLoopGroup.any() }
    var dialect: any SQLDialect { PostgresDialect() }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        promise.completeWithTask { try await execute(sql: query, onRow) }
        return promise.futureResult
    }

    /// A statement that has not run by then fails: while the server is away the pool would keep
    /// it waiting for a minute before giving up.
    static let deadline: Duration = .seconds(10)

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let client = client
        try await withDeadline(Self.deadline, expired: SluiceError.unavailable("database unavailable")) {
            try await client.withConnection { connection in
                try await connection.sql().execute(sql: query, onRow)
            }
        }
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await client.withConnection { connection in
            try await closure(connection.sql())
        }
    }
}

/// The ``MigrationLock`` as a PostgreSQL session advisory lock on a key of the schema, held on
/// one pooled connection while the migrations run. A connection that could not let go of the
/// lock is closed, which lets go of it, rather than going back to the pool with it.
struct AdvisoryMigrationLock: MigrationLock {
    let client: PostgresClient

    func withLock<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            let key: PostgresQuery = "hashtextextended(current_schema() || ':sluice-migrations', 0)"
            _ = try await connection.query("SELECT pg_advisory_lock(\(unescaped: key.sql))", logger: connection.logger)
                .collect()
            let result: Result<T, any Error>
            do {
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            do {
                _ = try await connection.query("SELECT pg_advisory_unlock(\(unescaped: key.sql))", logger: connection.logger)
                    .collect()
            } catch {
                try? await connection.close()
                throw error
            }
            return try result.get()
        }
    }
}
