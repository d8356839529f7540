import Foundation
import NIOHTTP1
@testable import SluiceClient
import SluiceServer
import Testing

/// Issue 8, the command-line client's library against a live server: tus uploads that resume
/// from the state file, downloads that resume from a partial file and verify the SHA-256,
/// info, delete, errors and plain progress lines.
@Suite struct ClientTests {
    /// Fast retries, so a test that hits a held lease waits milliseconds.
    static let quickRetry = RetryPolicy(attempts: 50, firstDelay: .milliseconds(20), maxDelay: .milliseconds(200))

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-client-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// An uploader for `server` with its state file in `directory` and chunks of `chunkSize`.
    static func uploader(
        _ server: LiveServer, state directory: URL, chunkSize: Int64 = 1 << 20,
        progress: ProgressDisplay = ProgressDisplay(style: .silent) { _ in }
    ) -> FileUploader {
        var uploader = FileUploader(
            server: server.base, state: UploadStateFile(url: directory.appendingPathComponent("uploads.json")), progress: progress)
        uploader.chunkSize = chunkSize
        uploader.retry = quickRetry
        return uploader
    }

    static func downloader() -> FileDownloader {
        var downloader = FileDownloader(progress: ProgressDisplay(style: .silent) { _ in })
        downloader.retry = quickRetry
        return downloader
    }

    @Test func uploadAndDownloadRoundTripWithTheUTF8Name() async throws {
        try await LiveServer.run { server in
            let directory = try Self.temporaryDirectory()
            let bytes = testBytes(3 * 1_048_576 + 17)
            let file = directory.appendingPathComponent("отчёт 2026.bin")
            try Data(bytes).write(to: file)

            let uploader = Self.uploader(server, state: directory)
            let uploaded = try await uploader.upload(file.path)
            #expect(uploaded.size == Int64(bytes.count))
            #expect(uploaded.resumedFrom == 0)
            #expect(uploaded.url.hasPrefix(server.base + "/"))
            #expect(await uploader.state.keys().isEmpty)

            let out = directory.appendingPathComponent("out")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            let downloaded = try await Self.downloader().download(uploaded.url, to: out.path)
            #expect(downloaded.path == out.appendingPathComponent("отчёт 2026.bin").path)
            #expect(downloaded.fetched == Int64(bytes.count))
            #expect(try Data(contentsOf: URL(fileURLWithPath: downloaded.path)) == Data(bytes))
            #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["отчёт 2026.bin"])
        }
    }

    @Test func aCancelledUploadResumesFromTheStateFile() async throws {
        try await LiveServer.run { server in
            let directory = try Self.temporaryDirectory()
            let bytes = testBytes(4 * 1_048_576)
            let file = directory.appendingPathComponent("big.bin")
            try Data(bytes).write(to: file)

            // The first progress line at 10 % or more cancels the upload: six PATCHes of 64 KiB
            // have been answered by then. (A line also comes every 2 s, at any percentage: on
            // a busy machine one came before any PATCH was answered, and nothing had been stored.)
            let (lines, lineSink) = AsyncStream.makeStream(of: String.self)
            let progress = ProgressDisplay(style: .plain) { lineSink.yield($0) }
            let first = Self.uploader(server, state: directory, chunkSize: 64 << 10, progress: progress)
            let task = Task { try await first.upload(file.path) }
            for await line in lines where Self.percent(in: line) >= 10 { break }
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(await first.state.keys().count == 1)

            let second = Self.uploader(server, state: directory, chunkSize: 64 << 10)
            let uploaded = try await second.upload(file.path)
            #expect(uploaded.resumedFrom > 0)
            #expect(uploaded.resumedFrom < Int64(bytes.count))
            #expect(await second.state.keys().isEmpty)
            #expect(try await server.request(.GET, uploaded.url).body == bytes)
        }
    }

    /// The percentage of a plain progress line (`name: 42% (…)`), 0 if it has none.
    static func percent(in line: String) -> Int {
        guard let sign = line.firstIndex(of: "%") else { return 0 }
        let digits = line[..<sign].reversed().prefix(while: \.isNumber)
        return Int(String(digits.reversed())) ?? 0
    }

    @Test func aDownloadResumesFromAPartialFile() async throws {
        try await LiveServer.run { server in
            let directory = try Self.temporaryDirectory()
            let bytes = testBytes(2 * 1_048_576 + 3)
            let link = try await server.upload("half.bin", bytes)
            let half = bytes.count / 2
            try Data(bytes[..<half]).write(to: directory.appendingPathComponent(".half.bin.sluice-part"))

            let downloaded = try await Self.downloader().download(link, to: directory.path)
            #expect(downloaded.resumedFrom == Int64(half))
            #expect(downloaded.fetched == Int64(bytes.count - half))
            #expect(try Data(contentsOf: URL(fileURLWithPath: downloaded.path)) == Data(bytes))
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(".half.bin.sluice-part").path))
        }
    }

    @Test func aCorruptedPartialFileFailsTheDigestAndIsRemoved() async throws {
        try await LiveServer.run { server in
            let directory = try Self.temporaryDirectory()
            var bytes = testBytes(1_048_576)
            let link = try await server.upload("bad.bin", bytes)
            let partial = directory.appendingPathComponent(".bad.bin.sluice-part")
            bytes[1000] ^= 0xFF
            try Data(bytes[..<500_000]).write(to: partial)

            await #expect(throws: ClientError.self) {
                do {
                    _ = try await Self.downloader().download(link, to: directory.path)
                } catch let error as ClientError {
                    #expect(error.exitCode == 7)
                    throw error
                }
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        }
    }

    @Test func infoAndDelete() async throws {
        try await LiveServer.run { server in
            let directory = try Self.temporaryDirectory()
            let file = directory.appendingPathComponent("notes.txt")
            try Data("hello, sluice\n".utf8).write(to: file)
            var uploader = Self.uploader(server, state: directory)
            uploader.maxDays = "1.5"
            uploader.maxDownloads = 3
            let uploaded = try await uploader.upload(file.path)

            let (json, info) = try await FileLinks().info(uploaded.url)
            #expect(info.name == "notes.txt")
            #expect(info.size == 14)
            #expect(info.type?.hasPrefix("text/plain") == true)
            #expect(info.downloadsLeft == 3)
            #expect(info.expiresAt != nil)
            #expect(json.contains("\"downloadsLeft\""))
            #expect(info.text.contains("downloads left: 3"))

            try await FileLinks().delete(uploaded.deleteUrl)
            await #expect(throws: ClientError.self) { try await FileLinks().info(uploaded.url) }
            do {
                try await FileLinks().delete(uploaded.deleteUrl)
                Issue.record("a second delete succeeded")
            } catch let error as ClientError {
                #expect(error.exitCode == 4)
            }
        }
    }

    @Test func errorsHaveTheirExitCodes() async throws {
        try await LiveServer.run(configure: { $0.maxUploadSize = 1000 }) { server in
            let directory = try Self.temporaryDirectory()
            let file = directory.appendingPathComponent("big.bin")
            try Data(testBytes(2000)).write(to: file)
            do {
                _ = try await Self.uploader(server, state: directory).upload(file.path)
                Issue.record("an upload over the limit succeeded")
            } catch let error as ClientError {
                #expect(error.exitCode == 5)
            }
        }
        do {
            _ = try await FileLinks().info("http://127.0.0.1:1/id/name")
            Issue.record("an unreachable server answered")
        } catch let error as ClientError {
            #expect(error.exitCode == 3)
        }
    }

    @Test func plainProgressLines() async throws {
        try await LiveServer.run { server in
            let directory = try Self.temporaryDirectory()
            let file = directory.appendingPathComponent("progress.bin")
            try Data(testBytes(3 * 1_048_576)).write(to: file)
            let (lines, sink) = AsyncStream.makeStream(of: String.self)
            let progress = ProgressDisplay(style: .plain) { sink.yield($0) }
            _ = try await Self.uploader(server, state: directory, chunkSize: 256 << 10, progress: progress).upload(file.path)
            sink.finish()
            var output: [String] = []
            for await text in lines { output.append(text) }

            #expect(output.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\u{1B}") && !$0.contains("\r") })
            let percents = output.dropLast().compactMap { line in
                line.split(separator: " ").dropFirst().first.flatMap { Int($0.dropLast()) }
            }
            #expect(percents.count >= 10)
            #expect(percents == percents.sorted())
            #expect(percents.last == 100)
            #expect(output.last?.hasPrefix("progress.bin: done, 3.0 MiB in ") == true)
            #expect((percents.first ?? 100) < 20)
            #expect(output.first?.hasPrefix("progress.bin: ") == true)
        }
    }

    @Test func downloadNamesAreSanitised() {
        let header = "attachment; filename=\"_.txt\"; filename*=UTF-8''%D1%84%D0%B0%D0%B9%D0%BB.txt"
        #expect(DownloadName.from(contentDisposition: header, link: "http://h/id/x") == "файл.txt")
        #expect(DownloadName.from(contentDisposition: "attachment; filename=\"a b.txt\"", link: "http://h/id/x") == "a b.txt")
        #expect(DownloadName.from(contentDisposition: nil, link: "http://h/id/r%C3%A9sum%C3%A9.pdf") == "résumé.pdf")
        #expect(DownloadName.sanitised("../../etc/passwd") == "_.._etc_passwd")
        #expect(DownloadName.sanitised("..\\evil") == "_evil")
        #expect(DownloadName.sanitised(".hidden") == "hidden")
        #expect(DownloadName.sanitised("a\u{7}b\nc") == "abc")
        #expect(DownloadName.sanitised("...") == "download")
    }
}
