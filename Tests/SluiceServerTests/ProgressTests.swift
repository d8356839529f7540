import Foundation
import HummingbirdWSClient
import Logging
import NIOHTTP1
import NIOWebSocket
import SluiceCore
import SluiceServer
import Synchronization
import Testing

/// API.md "Progress over WebSocket", through a real WebSocket client.
@Suite struct ProgressTests {
    @Test func aWatcherFollowsAPutFromBeforeItStartsToItsLink() async throws {
        try await LiveServer.run { server in
            let watcher = ProgressWatcher(server: server, key: "put-key-0001")
            try await watcher.waitUntilConnected()
            let connection = try await RawConnection(port: server.port)
            try await connection.send(
                "PUT /watched.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Progress-Id: put-key-0001\r\nContent-Length: 300000\r\n\r\n")
            for piece in 0..<3 {
                try await connection.send(testBytes(100_000, seed: UInt64(piece)))
                try await Task.sleep(for: .milliseconds(250))
            }
            let answer = try await connection.read(until: "\r\n\r\n")
            await connection.close()
            let messages = try await watcher.finish()
            let location = answer.split(separator: "\r\n").first { $0.lowercased().hasPrefix("location:") }
                .map { String($0.dropFirst("location:".count)).trimmingCharacters(in: .whitespaces) }
            let last = try #require(messages.last)
            #expect(last["state"] as? String == "done")
            #expect(last["url"] as? String == location)
            #expect(last["received"] as? Int == 300_000)
            #expect(last["total"] as? Int == 300_000)
            let received = messages.compactMap { $0["received"] as? Int }
            #expect(received == received.sorted())
            #expect(messages.contains { ($0["received"] as? Int ?? 0) > 0 && $0["state"] as? String == "uploading" })
            #expect(watcher.closeCode == .normalClosure)
        }
    }

    @Test func aLateWatcherGetsTheFinalState() async throws {
        try await LiveServer.run { server in
            let link = try await server.upload("late.txt", testBytes(10), headers: [("X-Progress-Id", "late-key-0001")])
            let messages = try await ProgressWatcher(server: server, key: "late-key-0001").finish()
            #expect(messages.count == 1)
            #expect(messages.first?["url"] as? String == link)
        }
    }

    @Test func aCutPutIsFailed() async throws {
        try await LiveServer.run { server in
            let watcher = ProgressWatcher(server: server, key: "cut-key-0001")
            try await watcher.waitUntilConnected()
            let connection = try await RawConnection(port: server.port)
            try await connection.send(
                "PUT /cut.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Progress-Id: cut-key-0001\r\nContent-Length: 100000\r\n\r\nabc")
            try await waitUntil { try await server.rowCount() == 1 }
            await connection.close()
            let last = try #require(try await watcher.finish().last)
            #expect(last["state"] as? String == "failed")
            #expect(last["error"] != nil)
        }
    }

    @Test func aKeyInUseIs409AndFreeAgainAfterTheEnd() async throws {
        try await LiveServer.run { server in
            let connection = try await RawConnection(port: server.port)
            try await connection.send(
                "PUT /a.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Progress-Id: busy-key-0001\r\nContent-Length: 10\r\n\r\nabc")
            try await waitUntil { try await server.rowCount() == 1 }
            #expect(try await server.put("b.bin", [1, 2, 3], headers: [("X-Progress-Id", "busy-key-0001")]).status == 409)
            try await connection.send("defghij")
            _ = try await connection.read(until: "\r\n\r\n")
            await connection.close()
            #expect(try await server.put("c.bin", [1, 2, 3], headers: [("X-Progress-Id", "busy-key-0001")]).status == 201)
        }
    }

    @Test func malformedKeysAre400() async throws {
        try await LiveServer.run { server in
            let rows = try await server.rowCount()
            #expect(rows == 0)
            for key in ["short", String(repeating: "a", count: 129), "has%20space", "dots.dots.dots"] {
                #expect(try await server.request(.GET, "/progress/\(key)").status == 400, "\(key)")
                #expect(try await server.put("x.bin", [1], headers: [("X-Progress-Id", key.removingPercentEncoding!)]).status == 400)
            }
            #expect(try await server.request(.GET, "/progress/good-key-0001").status == 426)
            await #expect(throws: (any Error).self) {
                try await WebSocketClient.connect(url: "ws://127.0.0.1:\(server.port)/progress/short", logger: Logger(label: "t")) { _, _, _ in }
            }
        }
    }

    @Test func aFormReportsEveryLink() async throws {
        try await LiveServer.run { server in
            let boundary = "b0undary"
            var body = ""
            for name in ["one.txt", "two.txt"] {
                body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\n\r\n\(name)\r\n"
            }
            body += "--\(boundary)--\r\n"
            let answer = try await server.request(
                .POST, "/",
                headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)"), ("X-Progress-Id", "form-key-0001")],
                body: Array(body.utf8))
            #expect(answer.status == 201)
            let last = try #require(try await ProgressWatcher(server: server, key: "form-key-0001").finish().last)
            let links = answer.text.split(separator: "\n").map(String.init)
            #expect(last["urls"] as? [String] == links)
            #expect(last["url"] as? String == links.first)
            #expect(last["received"] as? Int == body.utf8.count)
        }
    }

    @Test func aTusUploadIsWatchedByItsUploadID() async throws {
        try await LiveServer.run { server in
            let tus = TusClient(server: server)
            let url = try await tus.create(length: 200_000)
            let uploadID = String(url.split(separator: "/").last!)
            let watcher = ProgressWatcher(server: server, key: uploadID)
            try await watcher.waitUntilConnected()
            #expect(try await tus.patch(url, offset: 0, testBytes(100_000)).status == 204)
            try await watcher.waitFor { $0["received"] as? Int == 100_000 }
            let last = try await tus.patch(url, offset: 100_000, testBytes(100_000, seed: 9))
            let messages = try await watcher.finish()
            #expect(messages.last?["state"] as? String == "done")
            #expect(messages.last?["url"] as? String == last.header("X-Url"))
            #expect(messages.last?["total"] as? Int == 200_000)
        }
    }

    @Test func aTerminatedTusUploadIsFailed() async throws {
        try await LiveServer.run { server in
            let tus = TusClient(server: server)
            let url = try await tus.create(length: 100)
            let watcher = ProgressWatcher(server: server, key: String(url.split(separator: "/").last!))
            try await watcher.waitUntilConnected()
            #expect(try await tus.send(.DELETE, url).status == 204)
            let last = try #require(try await watcher.finish().last)
            #expect(last["state"] as? String == "failed")
            #expect(last["error"] as? String == "terminated")
        }
    }

    @Test func aWatcherOfAnUnusedKeyIsClosedAfterTheTimeout() async throws {
        try await LiveServer.run(configure: { $0.unusedProgressKeyTimeout = .milliseconds(300) }) { server in
            let start = ContinuousClock.now
            let messages = try await ProgressWatcher(server: server, key: "nobody-uses-this").finish()
            #expect(messages.isEmpty)
            #expect(ContinuousClock.now - start >= .milliseconds(300))
        }
    }

    @Test func messagesComeAtMostAboutTenASecond() async throws {
        try await LiveServer.run { server in
            let watcher = ProgressWatcher(server: server, key: "rate-key-0001")
            try await watcher.waitUntilConnected()
            let connection = try await RawConnection(port: server.port)
            try await connection.send(
                "PUT /rate.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Progress-Id: rate-key-0001\r\nContent-Length: 100000\r\n\r\n")
            let start = ContinuousClock.now
            for _ in 0..<100 {
                try await connection.send(testBytes(1000))
                try await Task.sleep(for: .milliseconds(10))
            }
            _ = try await connection.read(until: "\r\n\r\n")
            let elapsed = ContinuousClock.now - start
            await connection.close()
            let messages = try await watcher.finish()
            let allowed = Int(elapsed / .milliseconds(100)) + 3
            #expect(messages.count <= allowed, "\(messages.count) messages in \(elapsed)")
            #expect(messages.count >= 3)
        }
    }
}

/// A real WebSocket client on `/progress/{key}` that collects every message until the server
/// closes the socket.
final class ProgressWatcher: Sendable {
    private final class Collected: Sendable {
        let state = Mutex<(messages: [String], connected: Bool, closeCode: WebSocketErrorCode?)>(([], false, nil))
        func withLock<Result>(_ body: (inout (messages: [String], connected: Bool, closeCode: WebSocketErrorCode?)) throws -> Result) rethrows -> Result {
            try state.withLock { try body(&$0) }
        }
    }

    private let collected = Collected()
    private let task: Task<Void, any Error>

    init(server: LiveServer, key: String) {
        let collected = self.collected
        task = Task {
            let close = try await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(server.port)/progress/\(key)", logger: Logger(label: "progress-watcher")
            ) { inbound, _, _ in
                collected.withLock { $0.connected = true }
                for try await message in inbound.messages(maxSize: 1 << 16) {
                    if case .text(let text) = message { collected.withLock { $0.messages.append(text) } }
                }
            }
            collected.withLock { $0.closeCode = close?.closeCode }
        }
    }

    var closeCode: WebSocketErrorCode? { collected.withLock { $0.closeCode } }

    func waitUntilConnected() async throws {
        try await waitUntil { self.collected.withLock { $0.connected } }
    }

    func waitFor(_ condition: @escaping ([String: Any]) -> Bool) async throws {
        try await waitUntil { try self.decoded().contains(where: condition) }
    }

    /// Waits for the server to close the socket; returns every message, decoded.
    func finish() async throws -> [[String: Any]] {
        try await task.value
        return try decoded()
    }

    private func decoded() throws -> [[String: Any]] {
        try collected.withLock { $0.messages }.map { text in
            guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                throw TestFailure("not a JSON object: \(text)")
            }
            return object
        }
    }
}
