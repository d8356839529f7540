import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOFileSystem
import SluiceCore
import SluiceS3
import Testing
@testable import SluiceStorage

/// `S3BlobStore` on the real S3 server of `SLUICE_TEST_S3_ENDPOINT` (Ceph RGW from
/// `scripts/services/up`): blobs of several parts, aborts that leave nothing, and resumable
/// blobs continued by another store instance from the state a checkpoint returned.
@Suite(.enabled(if: S3StoreFixture.isConfigured, S3StoreFixture.skipReason))
struct S3BlobStoreTests {
    static let mebibyte = 1 << 20

    func testBytes(_ count: Int, seed: UInt64 = 42) -> [UInt8] {
        var source = TestBytes(seed: seed)
        return source.next(count)
    }

    @Test func aBlobOfThreePartsReadsBackWholeAndByRange() async throws {
        try await S3StoreFixture.with { fixture in
            let bytes = testBytes(20 * Self.mebibyte + 123)
            let id = FileID.random()
            let writer = try await fixture.store.makeWriter(for: id, maximumLength: Int64(bytes.count))
            for start in stride(from: 0, to: bytes.count, by: Self.mebibyte) {
                try await writer.write(ByteBuffer(bytes: bytes[start..<min(start + Self.mebibyte, bytes.count)]))
            }
            try await writer.finish()
            #expect(try await fixture.read(id) == bytes)
            let boundary = 8 * Self.mebibyte
            #expect(try await fixture.read(id, range: Int64(boundary - 10)...Int64(boundary + 9)) == Array(bytes[(boundary - 10)...(boundary + 9)]))
            #expect(try await fixture.leftovers() == ["files/\(id)"])
        }
    }

    @Test func aSmallBlobIsOnePutAndAnAbortLeavesNothing() async throws {
        try await S3StoreFixture.with { fixture in
            let small = FileID.random()
            let writer = try await fixture.store.makeWriter(for: small, maximumLength: 1 << 40)
            try await writer.write(ByteBuffer(bytes: testBytes(1000)))
            try await writer.finish()
            #expect(try await fixture.read(small) == testBytes(1000))

            let aborted = FileID.random()
            let abandoned = try await fixture.store.makeWriter(for: aborted, maximumLength: 1 << 40)
            try await abandoned.write(ByteBuffer(bytes: testBytes(18 * Self.mebibyte)))
            await abandoned.abort()
            #expect(try await fixture.leftovers() == ["files/\(small)"])
        }
    }

    @Test func aResumableBlobGoesOnFromItsLastRecordedCheckpointOnAnotherInstance() async throws {
        try await S3StoreFixture.with { fixture in
            let bytes = testBytes(30 * Self.mebibyte + 7)
            let id = FileID.random()
            let first = try await fixture.store.openPartial(
                id, durableLength: 0, storeState: nil, maximumLength: Int64(bytes.count))
            try await first.write(ByteBuffer(bytes: bytes[..<(10 * Self.mebibyte + 5)]))
            let recordedLength = try await first.checkpoint()
            let recordedState = try #require(first.storeState)
            #expect(recordedLength == Int64(10 * Self.mebibyte + 5))
            await first.close()

            // A later request got further, checkpointed, and died before its state was recorded.
            let lost = try await fixture.store.openPartial(
                id, durableLength: recordedLength, storeState: recordedState, maximumLength: Int64(bytes.count))
            try await lost.write(ByteBuffer(bytes: testBytes(9 * Self.mebibyte, seed: 99)))
            _ = try await lost.checkpoint()
            await lost.close()

            // Another instance goes on from what the record says.
            try await S3StoreFixture.with(prefix: fixture.prefix) { other in
                let writer = try await other.store.openPartial(
                    id, durableLength: recordedLength, storeState: recordedState, maximumLength: Int64(bytes.count))
                try await writer.write(ByteBuffer(bytes: bytes[Int(recordedLength)...]))
                try await writer.complete()
                #expect(try await other.read(id) == bytes)
                #expect(try await other.leftovers() == ["files/\(id)"])
            }
        }
    }

    @Test func anEmptyResumableBlobCompletesAsAnEmptyObject() async throws {
        try await S3StoreFixture.with { fixture in
            let id = FileID.random()
            let writer = try await fixture.store.openPartial(id, durableLength: 0, storeState: nil, maximumLength: 0)
            try await writer.complete()
            #expect(try await fixture.read(id) == [])
            #expect(try await fixture.leftovers() == ["files/\(id)"])
        }
    }

    @Test func deleteRemovesObjectTailsAndOpenUploads() async throws {
        try await S3StoreFixture.with { fixture in
            let id = FileID.random()
            let writer = try await fixture.store.openPartial(id, durableLength: 0, storeState: nil, maximumLength: 1 << 30)
            try await writer.write(ByteBuffer(bytes: testBytes(9 * Self.mebibyte)))
            _ = try await writer.checkpoint()
            await writer.close()
            #expect(try await fixture.leftovers().count == 2)
            try await fixture.store.delete(id)
            #expect(try await fixture.leftovers() == [])
        }
    }
}

/// An `S3BlobStore` under a fresh key prefix of bucket `sluice-tests`, with its own spool directory.
struct S3StoreFixture {
    let store: S3BlobStore
    let client: S3Client
    let prefix: String
    let spool: URL

    static let environment = ProcessInfo.processInfo.environment
    static let isConfigured: Bool = {
        let configured = environment["SLUICE_TEST_S3_ENDPOINT"] != nil && S3Credentials.fromEnvironment(environment) != nil
        if !configured && environment["SLUICE_REQUIRE_SERVICES"] == "1" {
            fatalError("SLUICE_REQUIRE_SERVICES=1 but SLUICE_TEST_S3_ENDPOINT or the AWS credentials are not set")
        }
        return configured
    }()
    static let skipReason: Comment = "no S3 server: run scripts/services/up and source /tmp/sluice-services/env"

    static func with<T>(prefix: String = "store-\(UUID().uuidString.lowercased())", _ body: (S3StoreFixture) async throws -> T) async throws -> T {
        let endpoint = try #require(environment["SLUICE_TEST_S3_ENDPOINT"])
        let credentials = try #require(S3Credentials.fromEnvironment(environment))
        let location = try S3Location(parsing: "s3://sluice-tests/\(prefix)/?endpoint=\(endpoint)&region=us-east-1")
        let client = S3Client(location: location, credentials: credentials, httpClient: .shared, logger: BlobFixture.logger)
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-spool-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: spool) }
        let store = try await S3BlobStore.open(client: client, spoolDirectory: FilePath(spool.path), logger: BlobFixture.logger)
        return try await body(S3StoreFixture(store: store, client: client, prefix: prefix, spool: spool))
    }

    func read(_ id: FileID, range: ClosedRange<Int64>? = nil) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        try await store.read(id, range: range) { bytes.append(contentsOf: $0.readableBytesView) }
        return bytes
    }

    /// Objects and open multipart uploads under the prefix, and files in the spool.
    func leftovers() async throws -> [String] {
        var found = try await client.listObjects(prefix: "").objects.map(\.key)
        found += try await client.listMultipartUploads(prefix: "").map { "multipart " + $0.key }
        found += ((try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []).map { "spool " + $0 }
        return found.sorted()
    }
}
