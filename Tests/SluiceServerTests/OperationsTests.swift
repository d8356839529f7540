import Foundation
import NIOHTTP1
import SluiceServer
import Testing

/// API.md "Operations": `/healthz`, `/metrics` and the plain-text `GET /`.
@Suite struct OperationsTests {
    @Test func healthzSaysOK() async throws {
        try await LiveServer.run { server in
            let answer = try await server.health()
            #expect(answer.status == 200, "\(answer.text)")
            #expect(answer.text == "ok\n")
        }
    }

    @Test(.enabled(if: TestBackend.current.isEmbedded, "removes the local blob directory"))
    func healthzFailsWhenStorageIsGone() async throws {
        try await LiveServer.run { server in
            try FileManager.default.removeItem(at: server.dataDirectory.appendingPathComponent("blobs"))
            #expect(try await server.request(.GET, "/healthz").status == 503)
        }
    }

    @Test func metricsCountTransfers() async throws {
        try await LiveServer.run { server in
            let link = try await server.upload("m.bin", testBytes(12_345))
            _ = try await server.request(.GET, link)
            _ = try await server.request(.GET, "/AAAAAAAAAAAAAAAAAAAAAA")
            let metrics = try await server.request(.GET, "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.header("Content-Type")?.hasPrefix("text/plain") == true)
            for name in [
                "sluice_bytes_in_total", "sluice_bytes_out_total", "sluice_uploads_in_flight",
                "sluice_upload_duration_seconds", "sluice_download_duration_seconds",
                "sluice_errors_total{kind=\"not_found\"}", "hb_requests",
            ] {
                #expect(metrics.text.contains(name), "\(name)")
            }
            let bytesIn = metrics.text.split(separator: "\n").first { $0.hasPrefix("sluice_bytes_in_total ") }
            #expect((bytesIn?.split(separator: " ").last.flatMap { Double($0) } ?? 0) >= 12_345)
        }
    }

    @Test func rootGivesCurlUsageWithTheBase() async throws {
        try await LiveServer.run { server in
            let answer = try await server.request(.GET, "/")
            #expect(answer.status == 200)
            #expect(answer.text.contains("curl -T movie.mkv \(server.base)/"))
        }
    }

    @Test func notModifiedHasNoEmptyBodyLength() async throws {
        try await LiveServer.run { server in
            let link = try await server.upload("n.txt", testBytes(100))
            let etag = try await server.request(.HEAD, link).header("ETag")!
            let answer = try await server.request(.GET, link, headers: [("If-None-Match", etag)])
            #expect(answer.status == 304)
            #expect(answer.header("Content-Length") == nil || answer.header("Content-Length") == "100")
            #expect(answer.header("ETag") == etag)
        }
    }

    @Test func publicURLShapesEveryLink() async throws {
        try await LiveServer.run(configure: { $0.publicURL = "https://files.example.org/s/" }) { server in
            let answer = try await server.put("a%20b.txt", testBytes(3))
            #expect(answer.text.hasPrefix("https://files.example.org/s/"))
            #expect(answer.text.hasSuffix("/a%20b.txt\n"))
            #expect(answer.header("X-Url-Delete")?.hasPrefix("https://files.example.org/s/") == true)
        }
    }
}
