import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import SluiceS3
import Testing

/// The S3 server the integration tests run against, named by `SLUICE_TEST_S3_ENDPOINT`
/// (e.g. `http://127.0.0.1:7480`), `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and, optionally,
/// `AWS_REGION`. Each test gets a bucket of its own, emptied and deleted afterwards.
enum S3TestServer {
    static let environment = ProcessInfo.processInfo.environment
    static let endpoint = environment["SLUICE_TEST_S3_ENDPOINT"].flatMap { try? S3Endpoint(parsing: $0) }
    static let credentials = S3Credentials.fromEnvironment(environment)
    static let region = environment["AWS_REGION"].flatMap { $0.isEmpty ? nil : $0 } ?? "us-east-1"
    static let logger = Logger(label: "SluiceS3Tests")

    /// Whether the server is configured; CI sets `SLUICE_REQUIRE_SERVICES=1` so that a missing
    /// server fails the run instead of skipping these tests.
    static let isConfigured: Bool = {
        let configured = endpoint != nil && credentials != nil
        if !configured && environment["SLUICE_REQUIRE_SERVICES"] == "1" {
            fatalError("SLUICE_REQUIRE_SERVICES=1 but SLUICE_TEST_S3_ENDPOINT or the AWS credentials are not set")
        }
        return configured
    }()
    static let notConfigured: Comment = """
        no S3 server: set SLUICE_TEST_S3_ENDPOINT (e.g. http://127.0.0.1:7480), \
        AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to run the S3 integration tests
        """

    /// A client for `bucket` (a fresh unique name by default) on the test server.
    static func client(
        bucket: String = uniqueBucketName(), keyPrefix: String = "", credentials: S3Credentials? = nil
    ) throws -> S3Client {
        let endpoint: S3Endpoint = try #require(self.endpoint)
        let serverCredentials: S3Credentials = try #require(self.credentials)
        let location = try S3Location(bucket: bucket, keyPrefix: keyPrefix, endpoint: endpoint, region: region)
        return S3Client(location: location, credentials: credentials ?? serverCredentials, httpClient: .shared, logger: logger)
    }

    static func uniqueBucketName() -> String {
        "sluice-test-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    /// Runs `body` with a client for a new bucket, then deletes everything in it and the bucket.
    static func withBucket(_ body: (S3Client) async throws -> Void) async throws {
        let client = try client()
        try await client.createBucket()
        do {
            try await body(client)
        } catch {
            try? await removeBucket(client)
            throw error
        }
        try await removeBucket(client)
    }

    static func removeBucket(_ client: S3Client) async throws {
        for upload in try await client.listMultipartUploads() {
            try await client.abortMultipartUpload(key: upload.key, uploadID: upload.uploadID)
        }
        var token: String?
        repeat {
            let page = try await client.listObjects(continuationToken: token)
            for key in page.keys {
                try await client.deleteObject(key: key)
            }
            token = page.nextContinuationToken
        } while token != nil
        try await client.deleteBucket()
    }
}

extension S3Client {
    /// The object's bytes, or those of `range`, and the number of chunks they came in.
    func download(key: String, range: ClosedRange<Int64>? = nil) async throws -> (bytes: [UInt8], chunks: Int) {
        var bytes: [UInt8] = []
        var chunks = 0
        try await getObject(key: key, range: range) { chunk in
            bytes += chunk.readableBytesView
            chunks += 1
        }
        return (bytes, chunks)
    }
}

/// A temporary file of random bytes, deleted by `remove()`.
struct RandomFile {
    let path: String
    let bytes: [UInt8]

    init(size: Int) throws {
        var generator = SystemRandomNumberGenerator()
        let words = (0..<(size + 7) / 8).map { _ in generator.next() as UInt64 }
        bytes = words.withUnsafeBytes { Array($0.prefix(size)) }
        path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-s3-\(UUID().uuidString)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
