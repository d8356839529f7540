import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SluiceCore
import SluiceServer
import Testing

/// API.md "Max-Downloads", "Max-Days" and "Delete": links that die, and bytes that go with them.
@Suite struct LifetimeTests {
    @Test func maxDownloadsCountsOnlyCompleteWholeBodies() async throws {
        try await LiveServer.run { server in
            let link = try await server.upload("once.txt", testBytes(100), headers: [("Max-Downloads", "2")])
            #expect(try await server.request(.HEAD, link).status == 200)
            #expect(try await server.request(.GET, link, headers: [("Range", "bytes=0-9")]).status == 206)
            let etag = try await server.request(.HEAD, link).header("ETag")!
            #expect(try await server.request(.GET, link, headers: [("If-None-Match", etag)]).status == 304)
            #expect(try await server.request(.GET, link).status == 200)
            #expect(try await server.request(.GET, link + "?info=1").json()["downloadsLeft"] as? Int == 1)
            #expect(try await server.request(.GET, link).status == 200)
            let gone = try await server.request(.GET, link)
            #expect(gone.status == 404)
            #expect(gone.text.contains("download limit"))
            #expect(try await server.request(.HEAD, link).status == 404)
        }
    }

    @Test func concurrentDownloadsNeverExceedTheLimit() async throws {
        try await LiveServer.run { server in
            let link = try await server.upload("few.bin", testBytes(200_000), headers: [("Max-Downloads", "3")])
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 { group.addTask { try await server.request(.GET, link).status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 3)
            #expect(statuses.filter { $0 == 404 }.count == 17)
        }
    }

    @Test func aCutOffDownloadGivesItsSlotBack() async throws {
        try await LiveServer.run { server in
            let size = 64 << 20
            let link = try await server.upload("big.bin", testBytes(size), headers: [("Max-Downloads", "1")])
            let path = String(link.dropFirst(server.base.count))
            let connection = try await RawConnection(port: server.port)
            try await connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            _ = try await connection.read(until: "\r\n\r\n")
            await connection.close()
            try await Task.sleep(for: .milliseconds(500))
            let whole = try await server.request(.GET, link)
            #expect(whole.status == 200)
            #expect(whole.body.count == size)
            #expect(try await server.request(.GET, link).status == 404)
        }
    }

    @Test func expiredFilesAreGoneAndSweptWithTheirBytes() async throws {
        try await LiveServer.run(configure: { $0.sweepInterval = .milliseconds(100) }) { server in
            let shortLived = try await server.upload("day.txt", testBytes(10), headers: [("Max-Days", "0.5")])
            let kept = try await server.upload("kept.txt", testBytes(10))
            #expect(try await server.request(.GET, shortLived).status == 200)
            server.clock.advance(by: 43_199)
            #expect(try await server.request(.GET, shortLived).status == 200)
            server.clock.advance(by: 1)
            let expired = try await server.request(.GET, shortLived)
            #expect(expired.status == 404)
            // "expired", or "deleted" once the sweeper has already hidden it.
            #expect(expired.text.contains("expired") || expired.text.contains("deleted"))
            try await waitUntil { try await server.rowCount() == 1 }
            #expect(try await server.storedFiles().count == 1)
            #expect(try await server.request(.GET, kept).status == 200)
        }
    }

    @Test func usedUpFilesAreSweptWithTheirBytes() async throws {
        try await LiveServer.run(configure: { $0.sweepInterval = .milliseconds(100) }) { server in
            let link = try await server.upload("once.txt", testBytes(10), headers: [("Max-Downloads", "1")])
            #expect(try await server.request(.GET, link).status == 200)
            try await waitUntil { try await server.rowCount() == 0 }
            #expect(try await server.storedFiles().isEmpty)
        }
    }

    @Test func deleteWithTheRightTokenRemovesTheBytes() async throws {
        try await LiveServer.run { server in
            let answer = try await server.put("gone.txt", testBytes(10))
            let link = answer.text.trimmingCharacters(in: .newlines)
            let deleteLink = try #require(answer.header("X-Url-Delete"))
            let other = try await server.put("other.txt", testBytes(10))
            let otherToken = other.header("X-Url-Delete")!.split(separator: "/").last!

            #expect(try await server.request(.DELETE, link + "/" + otherToken).status == 404)
            #expect(try await server.request(.DELETE, link + "/wrongtokenwrongtokenwr").status == 404)
            let lowercased = link + "/" + deleteLink.split(separator: "/").last!.lowercased()
            if lowercased != deleteLink { #expect(try await server.request(.DELETE, lowercased).status == 404) }
            #expect(try await server.request(.GET, link).status == 200)

            #expect(try await server.request(.DELETE, deleteLink).status == 200)
            #expect(try await server.request(.GET, link).status == 404)
            #expect(try await server.request(.DELETE, deleteLink).status == 404)
            #expect(try await server.storedFiles().count == 1)
            #expect(try await server.rowCount() == 1)
        }
    }
}

/// Polls `condition` until it holds, failing after `timeout`.
func waitUntil(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw TestFailure("condition not met within \(timeout)")
}
