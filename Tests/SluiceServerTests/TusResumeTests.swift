import Foundation
import NIOHTTP1
import SluiceServer
import Testing

/// API.md "Resumable upload": an interrupted upload continues from the last stored byte, after
/// a cut connection and after a server restart, and two requests never write at once.
@Suite struct TusResumeTests {
    @Test func aCutPatchKeepsWhatReachedStorage() async throws {
        try await LiveServer.run { server in
            let tus = TusClient(server: server)
            let bytes = testBytes(1_000_000)
            let url = try await tus.create(length: bytes.count)
            let path = try #require(URL(string: url)).path

            let connection = try await RawConnection(port: server.port)
            try await connection.send(TusClient.patchHead(path: path, offset: 0, contentLength: bytes.count))
            try await connection.send(Array(bytes[..<400_000]))
            // Close only once the server has most of it: what is still in flight must arrive before the close.
            try await waitUntil { server.partialBytes() >= 200_000 }
            await connection.close()
            try await waitUntil { try await tus.offset(url) == 400_000 }

            let rest = try await tus.patch(url, offset: 400_000, Array(bytes[400_000...]))
            #expect(rest.status == 204)
            let link = try #require(rest.header("X-Url"))
            let download = try await server.request(.GET, link)
            #expect(download.body == bytes)
            #expect(download.header("ETag") == "\"\(TusClient.sha256Hex(bytes))\"")
        }
    }

    @Test func anUploadResumesAfterARestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-test-\(UUID().uuidString)")
        let bytes = testBytes(2_500_000)
        var url = ""
        try await LiveServer.run(dataDirectory: directory) { server in
            let tus = TusClient(server: server)
            url = try await tus.create(length: bytes.count, metadata: ["filename": "resumed.bin"])
            #expect(try await tus.patch(url, offset: 0, Array(bytes[..<1_000_000])).status == 204)
            // The second PATCH breaks off: what arrived before the cut is kept too.
            let connection = try await RawConnection(port: server.port)
            try await connection.send(
                TusClient.patchHead(path: try #require(URL(string: url)).path, offset: 1_000_000, contentLength: 1_500_000))
            try await connection.send(Array(bytes[1_000_000..<1_700_000]))
            try await waitUntil { server.partialBytes() >= 1_500_000 }
            await connection.close()
            try await waitUntil { try await tus.offset(url) == 1_700_000 }
        }
        try await LiveServer.run(dataDirectory: directory) { server in
            let tus = TusClient(server: server)
            let path = try #require(URL(string: url)).path
            #expect(try await tus.offset(path) == 1_700_000)
            let last = try await tus.patch(path, offset: 1_700_000, Array(bytes[1_700_000...]))
            #expect(last.status == 204)
            let link = try #require(last.header("X-Url"))
            #expect(link.hasSuffix("/resumed.bin"))
            let download = try await server.request(.GET, link)
            #expect(download.body == bytes)
            #expect(download.header("ETag") == "\"\(TusClient.sha256Hex(bytes))\"")
            #expect(try await server.storedFiles().count == 1)
        }
    }

    @Test func aSecondPatchWhileOneIsRunningIsAConflict() async throws {
        try await LiveServer.run { server in
            let tus = TusClient(server: server)
            let first = testBytes(200_000, seed: 1)
            let url = try await tus.create(length: first.count)
            let connection = try await RawConnection(port: server.port)
            try await connection.send(
                TusClient.patchHead(path: try #require(URL(string: url)).path, offset: 0, contentLength: first.count))
            try await connection.send(Array(first[..<100_000]))
            try await waitUntil { try await server.resumableWriteStarted() }

            let second = try await tus.patch(url, offset: 0, testBytes(200_000, seed: 2))
            #expect(second.status == 409)

            try await connection.send(Array(first[100_000...]))
            let answer = try await connection.read(until: "\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 204"))
            await connection.close()
            let head = try await tus.send(.HEAD, url)
            #expect(head.header("Upload-Offset") == "200000")
            let link = try #require(head.header("X-Url"))
            #expect(try await server.request(.GET, link).body == first)
        }
    }

    @Test func aPatchWithAChecksumThatIsCutKeepsNothing() async throws {
        try await LiveServer.run { server in
            let tus = TusClient(server: server)
            let url = try await tus.create(length: 1000)
            let connection = try await RawConnection(port: server.port)
            let path = try #require(URL(string: url)).path
            try await connection.send(
                "PATCH \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
                    + "Content-Type: application/offset+octet-stream\r\nContent-Length: 1000\r\n"
                    + "Upload-Checksum: sha1 H4rBDyPFtbwRZ72oS4M+XAV6d9I=\r\n\r\n")
            try await connection.send(testBytes(600))
            try await waitUntil { try await server.resumableWriteStarted() }
            await connection.close()
            // The request is over once the lease is free again: a PATCH at 0 is then accepted.
            try await waitUntil { try await tus.patch(url, offset: 0, testBytes(10)).status == 204 }
            #expect(try await tus.offset(url) == 10)
        }
    }
}

/// API.md: "An interrupted upload resumes from the stored offset through any server instance
/// that shares the same database and storage."
@Suite struct TusSharedStoresTests {
    @Test func anotherInstanceOnTheSameStoresFinishesTheUpload() async throws {
        let bytes = testBytes(300_000)
        try await LiveServer.run { first in
            let url = try await TusClient(server: first).create(length: bytes.count)
            let path = try #require(URL(string: url)).path
            #expect(try await TusClient(server: first).patch(url, offset: 0, Array(bytes[..<100_000])).status == 204)
            try await LiveServer.run(dataDirectory: first.dataDirectory) { second in
                let tus = TusClient(server: second)
                #expect(try await tus.offset(path) == 100_000)
                #expect(try await tus.patch(path, offset: 100_000, Array(bytes[100_000..<200_000])).status == 204)
                #expect(try await TusClient(server: first).offset(path) == 200_000)
                let last = try await TusClient(server: first).patch(path, offset: 200_000, Array(bytes[200_000...]))
                let link = try #require(last.header("X-Url"))
                #expect(link.hasPrefix(first.base))
                let onSecond = second.base + link.dropFirst(first.base.count)
                #expect(try await second.request(.GET, onSecond).body == bytes)
            }
        }
    }
}
