import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// A client for one bucket of an S3-compatible store (AWS S3, Ceph RGW, MinIO, Cloudflare R2),
/// over async-http-client.
///
/// Bodies stream both ways with backpressure: uploads read files in small chunks as the
/// connection takes them, and downloads hand each chunk to the caller before reading the next,
/// so no object or part is ever held in memory. Requests are not retried.
///
/// Errors are ``S3Error``s, except those thrown by a caller's closure and those of opening a
/// local file for an ``S3Body/file(path:offset:length:)`` body, which propagate unchanged.
public final class S3Client: Sendable {
    public let location: S3Location
    public let timeouts: Timeouts
    let signer: AWSSignatureV4
    let httpClient: HTTPClient
    let logger: Logger

    /// How long requests may take.
    ///
    /// A request's deadline covers sending it and receiving the response head. Downloading a
    /// body runs at the caller's pace and has no deadline; to catch a stalled download, give the
    /// `HTTPClient` a read timeout.
    public struct Timeouts: Sendable {
        /// The deadline of a request without a body, or with a small one.
        public var request: TimeAmount
        /// The slowest acceptable upload rate: a body of n bytes adds n / rate seconds to ``request``.
        public var minimumUploadBytesPerSecond: Int64

        public init(request: TimeAmount = .seconds(30), minimumUploadBytesPerSecond: Int64 = 1 << 20) {
            self.request = request
            self.minimumUploadBytesPerSecond = minimumUploadBytesPerSecond
        }
    }

    /// - Parameter httpClient: Shared and shut down by the caller.
    public init(
        location: S3Location,
        credentials: S3Credentials,
        httpClient: HTTPClient,
        logger: Logger,
        timeouts: Timeouts = Timeouts()
    ) {
        self.location = location
        self.timeouts = timeouts
        self.signer = AWSSignatureV4(credentials: credentials, region: location.region)
        self.httpClient = httpClient
        self.logger = logger
    }
}
