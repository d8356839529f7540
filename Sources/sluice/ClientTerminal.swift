import ArgumentParser
import Foundation
import SluiceClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The client commands' side of the terminal: progress and errors go to standard error (bars
/// when it is a terminal, plain lines otherwise), links and JSON to standard output.
enum ClientTerminal {
    /// A progress display on standard error.
    static func progress() -> ProgressDisplay {
        ProgressDisplay(style: isatty(STDERR_FILENO) == 1 ? .terminal : .plain) { text in
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    /// Writes `sluice: MESSAGE` on standard error.
    static func complain(_ message: String) {
        FileHandle.standardError.write(Data("sluice: \(message)\n".utf8))
    }

    /// Runs a command's work; a ``ClientError`` becomes one line on standard error and its exit code.
    static func run(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ClientError {
            complain(error.description)
            throw ExitCode(error.exitCode)
        }
    }
}
