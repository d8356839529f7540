import ArgumentParser
import Foundation
import SluiceClient

/// `sluice upload FILE...`: uploads files with tus, resumably, and prints their links.
struct Upload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload files (resumable: run the same command again to continue) and print their links.")

    @Argument(help: "Files to upload.")
    var files: [String]
    @Option(help: "The Sluice server (SLUICE_SERVER). [default: http://localhost:8080]")
    var server: String?
    @Option(help: "Remove each file this many days after its upload (fractions allowed).")
    var maxDays: Double?
    @Option(help: "Remove each file after this many downloads.")
    var maxDownloads: Int?
    @Option(help: "Files uploaded at once.")
    var parallel = 2
    @Flag(help: "Print a JSON array of {file, size, url, deleteUrl, resumedFrom} instead of text.")
    var json = false

    func validate() throws {
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
        if let maxDays, !(maxDays > 0) { throw ValidationError("--max-days must be more than 0") }
        if let maxDownloads, maxDownloads < 1 { throw ValidationError("--max-downloads must be at least 1") }
    }

    func run() async throws {
        var uploader = FileUploader(
            server: server ?? ProcessInfo.processInfo.environment["SLUICE_SERVER"] ?? "http://localhost:8080",
            state: UploadStateFile(url: UploadStateFile.defaultURL()),
            progress: ClientTerminal.progress())
        uploader.maxDays = maxDays.map { String($0) }
        uploader.maxDownloads = maxDownloads

        let results = await uploader.uploadAll(files, parallel: parallel)
        var uploaded: [UploadedFile] = []
        var firstError: ClientError?
        for (file, result) in zip(files, results) {
            switch result {
            case .success(let file): uploaded.append(file)
            case .failure(let error):
                ClientTerminal.complain("\(file): \(error.description)")
                firstError = firstError ?? error
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(uploaded), as: UTF8.self))
        } else {
            for file in uploaded { print("\(file.url)\n  delete: \(file.deleteUrl)") }
        }
        if let firstError { throw ExitCode(firstError.exitCode) }
    }
}
