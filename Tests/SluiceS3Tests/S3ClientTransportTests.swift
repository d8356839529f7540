import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SluiceS3
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Failures below HTTP, against sockets on 127.0.0.1 (no S3 server needed).
@Suite struct S3ClientTransportTests {
    func client(port: Int, timeouts: S3Client.Timeouts = .init()) throws -> S3Client {
        let location = try S3Location(bucket: "bucket", endpoint: S3Endpoint(usesTLS: false, host: "127.0.0.1", port: port))
        return S3Client(
            location: location, credentials: S3Credentials(accessKeyID: "AKID", secretAccessKey: "secret"),
            httpClient: .shared, logger: Logger(label: "SluiceS3Tests"), timeouts: timeouts)
    }

    /// async-http-client retries refused connections until the request's deadline. (The bounds
    /// below are loose on purpose: a loaded machine ran both at 10.3 s; without a deadline they
    /// would never end.)
    @Test func refusedConnectionsFailWithinTheTimeout() async throws {
        let closedPort = try SilentServer().port  // closed again once the server is gone
        let client = try client(port: closedPort, timeouts: .init(request: .seconds(1)))
        let started = Date()
        await #expect {
            _ = try await client.headObject(key: "k")
        } throws: { error in
            if case S3Error.transport = error { true } else { false }
        }
        #expect(Date().timeIntervalSince(started) < 30)
    }

    @Test func serverThatNeverAnswersTimesOut() async throws {
        let server = try SilentServer()
        let client = try client(port: server.port, timeouts: .init(request: .milliseconds(300)))
        let started = Date()
        await #expect {
            try await client.putObject(key: "k", body: .bytes(ByteBuffer(string: "x")))
        } throws: { error in
            guard case S3Error.transport(let underlying) = error else { return false }
            return (underlying as? HTTPClientError) == .deadlineExceeded
        }
        #expect(Date().timeIntervalSince(started) < 30)
        withExtendedLifetime(server) {}
    }
}

/// A listening TCP socket on 127.0.0.1 whose connections the kernel accepts and nobody answers.
final class SilentServer {
    let port: Int
    private let descriptor: Int32

    init() throws {
        #if canImport(Glibc)
        let streamType = Int32(SOCK_STREAM.rawValue)
        #else
        let streamType = SOCK_STREAM
        #endif
        let descriptor = socket(AF_INET, streamType, 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && listen(descriptor, 8) == 0
                    && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        self.descriptor = descriptor
        try #require(descriptor >= 0 && listening, "could not listen on 127.0.0.1")
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        close(descriptor)
    }
}
