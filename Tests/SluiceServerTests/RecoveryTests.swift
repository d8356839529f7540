import Foundation
import NIOHTTP1
import SluiceServer
import Testing

/// Start-up after a crash: temporary files, blobs (finished or partial) without a record, and
/// single-request uploads the previous process never finished are removed; complete files and
/// resumable uploads survive.
@Suite struct RecoveryTests {
    @Test(.enabled(if: TestBackend.current.isEmbedded, "plants leftovers in the local data directory"))
    func aRestartCleansUpLeftoversAndKeepsCompleteFiles() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-recovery-\(UUID().uuidString)")
        var kept = ""
        var resumable = ""
        try await LiveServer.run(dataDirectory: directory) { server in
            kept = String(try await server.upload("kept.txt", testBytes(1000)).dropFirst(server.base.count))
        }
        // What a crash leaves: a half-written temporary file, a blob nobody recorded, and a
        // record still marked uploading.
        let fileManager = FileManager.default
        try Data(testBytes(10)).write(to: directory.appendingPathComponent("tmp/AAAAAAAAAAAAAAAAAAAAAA-BBBBBBBBBBBBBBBBBBBBBB"))
        try fileManager.createDirectory(at: directory.appendingPathComponent("blobs/Zz"), withIntermediateDirectories: true)
        try Data(testBytes(10)).write(to: directory.appendingPathComponent("blobs/Zz/ZzZzZzZzZzZzZzZzZzZzZz"))
        try Data(testBytes(10)).write(to: directory.appendingPathComponent("partial/YyYyYyYyYyYyYyYyYyYyYy"))
        try await LiveServer.run(dataDirectory: directory, configure: { $0.sweepInterval = .milliseconds(100) }) { server in
            let connection = try await RawConnection(port: server.port)
            try await connection.send("PUT /cut.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\nabc")
            try await waitUntil { try await server.rowCount() == 2 }
            // Leave the upload running: the server stops under it, as in a crash.
            resumable = try await TusClient(server: server).create(length: 100)
            #expect(try await TusClient(server: server).patch(resumable, offset: 0, testBytes(40)).status == 204)
        }
        try await LiveServer.run(dataDirectory: directory, configure: { $0.sweepInterval = .milliseconds(100) }) { server in
            try await waitUntil { try await server.rowCount() == 2 }
            #expect(try await server.storedFiles().count == 2)
            #expect(try await server.request(.GET, kept).body == testBytes(1000))
            let path = try #require(URL(string: resumable)).path
            #expect(try await TusClient(server: server).offset(path) == 40)
        }
    }
}
