import Foundation
import HTTPTypes
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceServer

/// The tus header parsers: what they accept, what they refuse, and that hostile input only
/// ever gives a 400.
@Suite struct TusHeaderParsingTests {
    @Test func metadataPairsDecode() throws {
        let metadata = try UploadMetadata.parse("filename 0L/RgNC40LLQtdGCLnR4dA==, filetype dGV4dC9wbGFpbg==,flag")
        #expect(try metadata.filename() == "привет.txt")
        #expect(try metadata.fileType() == "text/plain")
        #expect(metadata.values.keys.sorted() == ["filename", "filetype", "flag"])
        #expect(metadata.values["flag"] == .some(nil))
        #expect(try UploadMetadata.parse("").values.isEmpty)
        #expect(try UploadMetadata.parse("   ").values.isEmpty)
    }

    @Test(arguments: ["a b c", "a,,b", ",a", "a YQ==,a YQ==", "filename !!!!", "key YQ== extra", "é YQ=="])
    func malformedMetadataIs400(header: String) {
        #expect(throws: SluiceError.self) { try UploadMetadata.parse(header) }
    }

    @Test func sluiceKeysAreValidated() throws {
        let notUTF8 = try UploadMetadata.parse("filename \(Data([0xFF, 0xFE]).base64EncodedString())")
        #expect(throws: SluiceError.self) { try notUTF8.filename() }
        let badLimit = try UploadMetadata.parse("maxDownloads \(Data("0".utf8).base64EncodedString())")
        #expect(throws: SluiceError.self) { try badLimit.limits() }
        let oddType = try UploadMetadata.parse("filetype \(Data("text/html\r\nX: y".utf8).base64EncodedString())")
        #expect(try oddType.fileType() == nil)
        let limits = try UploadMetadata.parse("maxDownloads Mw==,maxDays MC41").limits()
        #expect(limits == UploadLimits(maxDownloads: 3, maxDays: 0.5))
    }

    @Test func lengthsAndOffsets() throws {
        #expect(try TusHeaders.creationLength([TusHeaders.uploadLength: "0"]) == 0)
        #expect(try TusHeaders.creationLength([TusHeaders.uploadDeferLength: "1"]) == nil)
        #expect(try TusHeaders.offset([TusHeaders.uploadOffset: "999999999999999999"]) == 999_999_999_999_999_999)
        for bad in ["", "-1", "+1", "1e3", "1 1", "0x10", "9999999999999999999", "١٢"] {
            #expect(throws: SluiceError.self, "\(bad)") { try TusHeaders.offset([TusHeaders.uploadOffset: bad]) }
        }
        #expect(throws: SluiceError.self) { try TusHeaders.offset([:]) }
    }

    @Test func checksums() throws {
        let sha1 = try TusHeaders.checksum([TusHeaders.uploadChecksum: "sha1 H4rBDyPFtbwRZ72oS4M+XAV6d9I="])
        #expect(sha1?.algorithm == .sha1)
        #expect(sha1?.expected.count == 20)
        #expect(try TusHeaders.checksum([:]) == nil)
        for bad in ["sha1", "sha1 !!", "crc32 AAAAAA==", "sha256 H4rBDyPFtbwRZ72oS4M+XAV6d9I=", "md5 a b"] {
            #expect(throws: SluiceError.self, "\(bad)") { try TusHeaders.checksum([TusHeaders.uploadChecksum: bad]) }
        }
    }

    /// Random and mutated header values: the parsers return or throw a 400, nothing else.
    @Test func fuzzOnlyEverGives400() {
        var random = SplitMix64(seed: 3)
        let alphabet = Array("aZ09+/=, \t-_.\u{0}\u{7F}é€ filename YQ== ".unicodeScalars)
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...40, using: &random)
            let text = String(String.UnicodeScalarView((0..<length).map { _ in alphabet.randomElement(using: &random)! }))
            expectOnlyBadRequest { _ = try UploadMetadata.parse(text).limits() }
            expectOnlyBadRequest { _ = try UploadMetadata.parse(text).filename() }
            expectOnlyBadRequest { _ = try TusHeaders.checksum([TusHeaders.uploadChecksum: text]) }
            expectOnlyBadRequest { _ = try TusHeaders.offset([TusHeaders.uploadOffset: text]) }
        }
    }

    private func expectOnlyBadRequest(_ body: () throws -> Void) {
        do {
            try body()
        } catch SluiceError.badRequest {
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
