import Logging
import NIOFileSystem
import SQLiteNIO
import SluiceS3
import Testing
@testable import SluiceServer

/// Errors no layer turned into a `SluiceError` are told apart by where they come from: an outage
/// of the blob store or of the database answers 503 and counts as `storage` or `database`; the
/// rest is a bug (500, `internal`).
@Suite struct FailingPartTests {
    struct SomeBug: Error {}

    @Test func errorsAreToldApartByTheirModule() async throws {
        #expect(FailingPart(of: S3Error.invalidResponse("x")) == .storage)
        let missing = await #expect(throws: FileSystemError.self) {
            try await FileSystem.shared.withFileHandle(forReadingAt: "/nonexistent/sluice") { _ in }
        }
        #expect(missing.map(FailingPart.init(of:)) == .storage)
        #expect(FailingPart(of: Errno.ioError) == .storage)
        let connection = try await SQLiteConnection.open(storage: .memory)
        let refused = await #expect(throws: SQLiteError.self) { _ = try await connection.query("NOT SQL") }
        try await connection.close()
        #expect(refused.map(FailingPart.init(of:)) == .database)
        #expect(FailingPart(of: SomeBug()) == .internal)
    }
}
