import Foundation
import NIOHTTP1
import SluiceCore
import SluiceServer
import Testing

/// Two instances on one PostgreSQL database and one S3 bucket, in this process: what one does,
/// the other sees, progress included. (The cluster of separate processes, one killed with
/// SIGKILL, is `scripts/cluster-test`.)
@Suite(.enabled(if: !TestBackend.current.isEmbedded, "needs SLUICE_TEST_BACKEND=postgres-s3"))
struct SharedStoresTests {
    /// Runs `body` with two instances sharing the stores of one test server.
    func withTwoInstances(_ body: (LiveServer, LiveServer) async throws -> Void) async throws {
        try await LiveServer.run { first in
            let otherDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-second-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: otherDirectory) }
            try await LiveServer.run(
                dataDirectory: first.dataDirectory,
                configure: {
                    $0.dataDirectory = otherDirectory.path
                    $0.instanceID = "second"
                }
            ) { second in
                try await body(first, second)
            }
        }
    }

    @Test func aPutOnOneInstanceIsWatchedAndDownloadedOnTheOther() async throws {
        try await withTwoInstances { first, second in
            let watcher = ProgressWatcher(server: second, key: "cluster-key-0001")
            try await watcher.waitUntilConnected()
            let connection = try await RawConnection(port: first.port)
            try await connection.send(
                "PUT /crossing.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Progress-Id: cluster-key-0001\r\nContent-Length: 300000\r\n\r\n")
            for piece in 0..<3 {
                try await connection.send(testBytes(100_000, seed: UInt64(piece)))
                try await Task.sleep(for: .milliseconds(300))
            }
            let answer = try await connection.read(until: "\r\n\r\n")
            await connection.close()
            #expect(answer.hasPrefix("HTTP/1.1 201"))
            let messages = try await watcher.finish()
            let last = try #require(messages.last)
            #expect(last["state"] as? String == "done")
            #expect(last["received"] as? Int == 300_000)
            #expect(messages.contains { ($0["received"] as? Int ?? 0) > 0 && $0["state"] as? String == "uploading" })
            let link = try #require((last["url"] as? String).flatMap(URLComponents.init(string:)))
            let onSecond = second.base + link.percentEncodedPath
            let expected = (0..<3).flatMap { testBytes(100_000, seed: UInt64($0)) }
            #expect(try await second.request(.GET, onSecond).body == expected)
        }
    }

    @Test func aDeleteOnOneInstanceIsSeenOnTheOther() async throws {
        try await withTwoInstances { first, second in
            let answer = try await first.put("gone.txt", testBytes(1000), headers: [("Accept", "application/json")])
            let json = try answer.json()
            let link = try #require(json["url"] as? String)
            let deleteLink = try #require(json["deleteUrl"] as? String)
            let onSecond = second.base + link.dropFirst(first.base.count)
            #expect(try await second.request(.GET, onSecond).status == 200)
            #expect(try await first.request(.DELETE, deleteLink).status == 200)
            #expect(try await second.request(.GET, onSecond).status == 404)
        }
    }

    @Test func aTusUploadIsWatchedOnTheOtherInstance() async throws {
        try await withTwoInstances { first, second in
            let bytes = testBytes(200_000)
            let url = try await TusClient(server: first).create(length: bytes.count)
            let path = try #require(URL(string: url)).path
            let uploadID = try #require(path.split(separator: "/").last)
            let watcher = ProgressWatcher(server: second, key: String(uploadID))
            try await watcher.waitUntilConnected()
            #expect(try await TusClient(server: first).patch(url, offset: 0, Array(bytes[..<100_000])).status == 204)
            #expect(try await TusClient(server: first).patch(url, offset: 100_000, Array(bytes[100_000...])).status == 204)
            let last = try #require(try await watcher.finish().last)
            #expect(last["state"] as? String == "done")
            #expect(last["received"] as? Int == 200_000)
        }
    }
}
