import Foundation
import SluiceFuzzHarness
import Testing

/// Every input saved in `FuzzTesting/Corpus/` (the seeds, and whatever the fuzzer once found
/// broken) goes through the fuzz harnesses again on every test run.
@Suite struct FuzzCorpusTests {
    static let corpus = URL(filePath: #filePath).deletingLastPathComponent()
        .appending(path: "../../FuzzTesting/Corpus").standardized

    static func inputs(_ folder: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: corpus.appending(path: folder), includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test func theParsersCorpusStillHolds() throws {
        let inputs = try Self.inputs("parsers")
        #expect(inputs.count >= 8)
        for input in inputs { ParserHarness.run(Array(try Data(contentsOf: input))) }
    }

    @Test func theS3XMLCorpusStillHolds() throws {
        let inputs = try Self.inputs("s3-xml")
        #expect(inputs.count >= 4)
        for input in inputs { S3XMLHarness.run(Array(try Data(contentsOf: input))) }
    }
}
