import Foundation
import ArgumentParser
import SluiceClient

/// `sluice delete DELETE-URL`: deletes a file through its delete link.
struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete a file through its delete link.")

    @Argument(help: "The delete link (X-Url-Delete, or `delete:` of sluice upload).")
    var deleteURL: String

    func run() async throws {
        try await ClientTerminal.run {
            try await FileLinks().delete(deleteURL)
            print("deleted")
        }
    }
}

/// `sluice info URL`: a link's name, size, type, expiry and downloads left (counts as no download).
struct Info: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Describe a link: name, size, type, expiry, downloads left.")

    @Argument(help: "The link.")
    var url: String
    @Flag(help: "Print the server's JSON as it is.")
    var json = false

    func run() async throws {
        try await ClientTerminal.run {
            let (text, info) = try await FileLinks().info(url)
            print(json ? text.trimmingCharacters(in: .newlines) : info.text)
        }
    }
}
