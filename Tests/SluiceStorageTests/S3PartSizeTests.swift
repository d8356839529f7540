import Testing
@testable import SluiceStorage

/// The one part size of an S3 upload: S3 allows 10,000 parts of at most 5 GiB, every part but
/// the last at least 5 MiB; Sluice uses whole MiB, at least 8 MiB.
@Suite struct S3PartSizeTests {
    static let mebibyte: Int64 = 1 << 20
    static let tebibyte: Int64 = 1 << 40

    static let expected: [(length: Int64, mebibytes: Int64)] = [
        (0, 8), (1, 8), (8 << 20, 8), (80_000 << 20, 8), ((80_000 << 20) + 1, 9), (1 << 40, 105), (2 << 40, 210),
    ]

    @Test("8 MiB up to 10,000 parts of it, then just enough", arguments: expected)
    func partSizes(length: Int64, mebibytes: Int64) throws {
        #expect(S3PartSize.forBlob(ofAtMost: length) == mebibytes * Self.mebibyte)
    }

    @Test func everyLengthUpToOneTebibyteFitsInTenThousandParts() throws {
        var length: Int64 = 1
        while length <= Self.tebibyte {
            for candidate in [length - 1, length, length + 1, length * 3 / 2] {
                let size = try #require(S3PartSize.forBlob(ofAtMost: candidate))
                #expect(size >= S3PartSize.smallestPart && size % Self.mebibyte == 0)
                #expect((candidate + size - 1) / size <= S3PartSize.maximumParts, "\(candidate) bytes in parts of \(size)")
                // Not larger than needed: one MiB less would not fit (or would be under 8 MiB).
                #expect(size == S3PartSize.smallestPart || (candidate + size - Self.mebibyte - 1) / (size - Self.mebibyte) > S3PartSize.maximumParts)
            }
            length *= 2
        }
    }

    @Test func lengthsBeyondS3AreRefused() {
        #expect(S3PartSize.forBlob(ofAtMost: S3PartSize.largestPart * S3PartSize.maximumParts) == S3PartSize.largestPart)
        #expect(S3PartSize.forBlob(ofAtMost: S3PartSize.largestPart * S3PartSize.maximumParts + 1) == nil)
        #expect(S3PartSize.forBlob(ofAtMost: .max) == nil)
    }
}
