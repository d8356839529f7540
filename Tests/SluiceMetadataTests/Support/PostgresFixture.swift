import Foundation
import Logging
import PostgresNIO
import Testing
@testable import SluiceMetadata

/// The real PostgreSQL server named by `SLUICE_TEST_DATABASE` (started by
/// `scripts/services/up`); each test works in a schema of its own, dropped afterwards.
enum PostgresFixture {
    static let url = ProcessInfo.processInfo.environment["SLUICE_TEST_DATABASE"]

    /// Whether the server is configured; CI sets `SLUICE_REQUIRE_SERVICES=1` so that a missing
    /// server fails the run instead of skipping these tests.
    static let isConfigured: Bool = {
        if url == nil && ProcessInfo.processInfo.environment["SLUICE_REQUIRE_SERVICES"] == "1" {
            fatalError("SLUICE_REQUIRE_SERVICES=1 but SLUICE_TEST_DATABASE is not set: run scripts/services/up")
        }
        return url != nil
    }()

    static let skipReason: Comment =
        "PostgreSQL not configured: run scripts/services/up and source /tmp/sluice-services/env (SLUICE_TEST_DATABASE)"

    /// Runs `body` with the URL of a new, empty schema on the test server.
    static func withSchema<T>(_ body: (String) async throws -> T) async throws -> T {
        let base = try #require(url)
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await run(base, "CREATE SCHEMA \(schema)")
        do {
            let result = try await body(base + (base.contains("?") ? "&" : "?") + "search_path=\(schema)")
            try await run(base, "DROP SCHEMA \(schema) CASCADE")
            return result
        } catch {
            try? await run(base, "DROP SCHEMA \(schema) CASCADE")
            throw error
        }
    }

    /// Opens the store on `url` as `instance`, runs `body`, and closes it.
    static func withStore<T>(
        url: String, instance: String = "test-a", _ body: (SQLMetadataStore) async throws -> T
    ) async throws -> T {
        let metadata = try await PostgresMetadata.open(url: url, instance: instance, logger: MetadataFixture.logger)
        do {
            let result = try await body(metadata.store)
            await metadata.close()
            return result
        } catch {
            await metadata.close()
            throw error
        }
    }

    /// Two stores on `url`, as instances `a` and `b`.
    static func withTwoStores<T>(url: String, _ body: (SQLMetadataStore, SQLMetadataStore) async throws -> T) async throws -> T {
        try await withStore(url: url, instance: "a") { a in
            try await withStore(url: url, instance: "b") { b in try await body(a, b) }
        }
    }

    /// Runs one statement on its own connection.
    static func run(_ url: String, _ sql: String) async throws {
        let client = PostgresClient(configuration: try PostgresURL.configuration(url), backgroundLogger: MetadataFixture.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await client.query(PostgresQuery(unsafeSQL: sql), logger: MetadataFixture.logger).collect()
            group.cancelAll()
        }
    }
}
