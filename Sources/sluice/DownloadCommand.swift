import ArgumentParser
import SluiceClient

/// `sluice download URL [-o PATH]`: downloads a link, resumably, verified against its SHA-256.
struct Download: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download a link (resumable; verified against the server's SHA-256) and print where it went.")

    @Argument(help: "The link.")
    var url: String
    @Option(name: .shortAndLong, help: "Where to save: a file, or a directory. [default: the server's file name, here]")
    var output: String?

    func run() async throws {
        try await ClientTerminal.run {
            let file = try await FileDownloader(progress: ClientTerminal.progress()).download(url, to: output)
            print(file.path)
        }
    }
}
