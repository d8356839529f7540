import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SluiceServer
import Testing

/// API.md "Who may upload": upload credentials, per-client rate limits and the storage quota.
@Suite struct AccessTests {
    static func basic(_ user: String, _ password: String) -> (String, String) {
        ("Authorization", "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
    }

    static func restricted(_ configuration: inout ServerConfiguration) {
        configuration.uploadTokens = ["t0ken-one", "t0ken-two"]
        configuration.uploadUsers = [("alice", "s3cret:with colon")]
    }

    @Test func uploadsWithoutValidCredentialsGet401AndStoreNothing() async throws {
        try await LiveServer.run(configure: Self.restricted) { server in
            let refused: [[(String, String)]] = [
                [],
                [("Authorization", "Bearer wrong")],
                [("Authorization", "Bearer t0ken-on")],
                [Self.basic("alice", "wrong")],
                [Self.basic("bob", "s3cret:with colon")],
                [("Authorization", "Basic !!notbase64")],
                [("Authorization", "Digest t0ken-one")],
            ]
            for headers in refused {
                let answer = try await server.put("a.txt", Array("hello".utf8), headers: headers)
                #expect(answer.status == 401, "\(headers)")
                #expect(answer.header("WWW-Authenticate") == "Basic realm=\"Sluice uploads\", charset=\"UTF-8\"")
            }
            let form = MultipartUploadTests.form([("file", "a.txt", Array("hello".utf8))])
            #expect(try await MultipartUploadTests().post(server, form).status == 401)
            let tus = TusClient(server: server)
            #expect(try await tus.send(.POST, "/files/", headers: [("Upload-Length", "5")]).status == 401)
            #expect(try await server.storedFiles().isEmpty)
            #expect(try await server.rowCount() == 0)
        }
    }

    @Test func aTokenOrAUserMayUploadAndAnyoneMayDownload() async throws {
        try await LiveServer.run(configure: Self.restricted) { server in
            let accepted: [(String, String)] = [
                ("Authorization", "Bearer t0ken-one"),
                ("Authorization", "bearer t0ken-two"),
                Self.basic("anyone", "t0ken-two"),
                Self.basic("alice", "s3cret:with colon"),
            ]
            for credentials in accepted {
                let link = try await server.upload("a.txt", Array("hello".utf8), headers: [credentials])
                #expect(try await server.request(.GET, link).text == "hello")
            }
            let form = MultipartUploadTests.form([("file", "b.txt", Array("form".utf8))])
            #expect(try await MultipartUploadTests().post(server, form, headers: [accepted[0]]).status == 201)
            // tus: creation needs credentials, appending does not (the upload URL is the secret).
            let tus = TusClient(server: server)
            let created = try await tus.send(.POST, "/files/", headers: [("Upload-Length", "3"), accepted[1]])
            #expect(created.status == 201)
            let patched = try await tus.patch(try #require(created.header("Location")), offset: 0, Array("abc".utf8))
            #expect(patched.status == 204)
        }
    }

    @Test func anUnauthorizedExpectContinueGets401WithoutTheBody() async throws {
        try await LiveServer.run(configure: Self.restricted) { server in
            let connection = try await RawConnection(port: server.port)
            try await connection.send(
                "PUT /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n")
            let answer = try await connection.read(until: "required")
            #expect(answer.hasPrefix("HTTP/1.1 401"))
            #expect(!answer.contains("100 Continue"))
            await connection.close()
        }
    }

    @Test func requestsPastTheRateLimitGet429WithRetryAfter() async throws {
        try await LiveServer.run(configure: { $0.requestsPerMinute = 5 }) { server in
            for _ in 0..<5 { #expect(try await server.request(.GET, "/AAAAAAAAAAAAAAAAAAAAAA").status == 404) }
            let limited = try await server.request(.GET, "/AAAAAAAAAAAAAAAAAAAAAA")
            #expect(limited.status == 429)
            let retryAfter = try #require(limited.header("Retry-After").flatMap { Int($0) })
            #expect((1...12).contains(retryAfter))
            #expect(try await server.put("a.txt", [1]).status == 429)
            // Monitoring is never limited.
            let health = try await server.health()
            #expect(health.status == 200, "\(health.text)")
            #expect(try await server.request(.GET, "/metrics").status == 200)
        }
    }

    @Test func uploadsPastTheUploadRateLimitGet429() async throws {
        try await LiveServer.run(configure: { $0.uploadsPerMinute = 2 }) { server in
            let link = try await server.upload("1.txt", [1])
            _ = try await server.upload("2.txt", [2])
            let limited = try await server.put("3.txt", [3])
            #expect(limited.status == 429)
            #expect(limited.header("Retry-After").flatMap { Int($0) }.map { (1...30).contains($0) } == true)
            let tus = TusClient(server: server)
            #expect(try await tus.send(.POST, "/files/", headers: [("Upload-Length", "3")]).status == 429)
            // Downloads are not uploads.
            #expect(try await server.request(.GET, link).status == 200)
            #expect(try await server.rowCount() == 2)
        }
    }

    @Test func uploadsPastTheStorageQuotaGet507AndLeaveNothing() async throws {
        try await LiveServer.run(configure: { $0.storageQuota = 1_000_000 }) { server in
            let first = try await server.put("first.bin", testBytes(600_000))
            #expect(first.status == 201)
            // Declared up front, refused before a byte is stored.
            #expect(try await server.put("second.bin", testBytes(600_000)).status == 507)
            // Of unknown length: refused when the bytes pass the quota.
            var request = HTTPClientRequest(url: server.base + "/chunked.bin")
            request.method = .PUT
            let chunks = (0..<6).map { ByteBuffer(bytes: testBytes(100_000, seed: UInt64($0))) }
            request.body = .stream(chunks.async, length: .unknown)
            #expect(try await server.send(request).status == 507)
            // tus: a declared length is refused at creation, deferred bytes as they come.
            let tus = TusClient(server: server)
            #expect(try await tus.send(.POST, "/files/", headers: [("Upload-Length", "600000")]).status == 507)
            let deferred = try await tus.create(length: nil)
            #expect(try await tus.patch(deferred, offset: 0, testBytes(600_000)).status == 507)
            #expect(try await tus.offset(deferred) == 0)
            #expect(try await tus.send(.DELETE, deferred).status == 204)
            #expect(try await server.storedFiles().count == 1)
            #expect(try await server.rowCount() == 1)
            // Room again after a delete.
            let delete = try #require(first.header("X-Url-Delete"))
            #expect(try await server.request(.DELETE, delete).status == 200)
            #expect(try await server.put("third.bin", testBytes(900_000)).status == 201)
        }
    }
}
