import NIOCore

@testable import SluiceS3

/// Feeds arbitrary bytes to the S3 client's response reading, as an S3 server's body: the XML
/// parser, then every message the client decodes from it. Nothing may crash or hang; malformed
/// documents throw ``S3Error``.
///
/// Run by the libFuzzer executable in `FuzzTesting/` and, over the saved corpus, by the unit tests.
public enum S3XMLHarness {
    public static func run(_ data: [UInt8]) {
        guard let root = try? S3XML.parse(ByteBuffer(bytes: data)) else { return }
        _ = S3Messages.errorDetails(root)
        _ = try? S3Messages.uploadID(root)
        _ = try? S3Messages.completionETag(root)
        _ = try? S3Messages.objectListing(root, keyPrefix: "prefix/")
        _ = try? S3Messages.multipartUploads(root, keyPrefix: "prefix/")
    }
}
