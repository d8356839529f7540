import Crypto
import Foundation
import NIOCore
import SluiceS3
import Testing

@Suite(.enabled(if: S3TestServer.isConfigured, S3TestServer.notConfigured))
struct S3ClientIntegrationTests {
    static let mebibyte = 1 << 20

    @Test func putHeadGetAndDeleteAnObject() async throws {
        try await S3TestServer.withBucket { client in
            let content = Array((0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) })
            let etag = try await client.putObject(key: "a/small.bin", body: .bytes(ByteBuffer(bytes: content)), contentType: "application/x-test")
            #expect(etag.hasPrefix("\""))

            #expect(try await client.headObject(key: "a/small.bin") == S3ObjectInfo(size: 1000, etag: etag))
            #expect(try await client.download(key: "a/small.bin").bytes == content)
            #expect(try await client.download(key: "a/small.bin", range: 10...19).bytes == Array(content[10...19]))
            #expect(try await client.download(key: "a/small.bin", range: 990...5000).bytes == Array(content[990...]))

            try await client.deleteObject(key: "a/small.bin")
            #expect(try await client.headObject(key: "a/small.bin") == nil)
            try await client.deleteObject(key: "a/small.bin")
        }
    }

    @Test func missingObjectsAndBadRanges() async throws {
        try await S3TestServer.withBucket { client in
            #expect(try await client.headObject(key: "missing") == nil)
            await #expect {
                try await client.getObject(key: "missing") { _ in Issue.record("no bytes expected") }
            } throws: { error in
                if case S3Error.notFound(key: "missing") = error { true } else { false }
            }
            try await client.putObject(key: "ten", body: .bytes(ByteBuffer(string: "0123456789")))
            await #expect {
                try await client.getObject(key: "ten", range: 10...20) { _ in }
            } throws: { error in
                if case S3Error.service(status: 416, code: "InvalidRange", _, _) = error { true } else { false }
            }
        }
    }

    @Test func putStreamsAFileRange() async throws {
        let file = try RandomFile(size: 3 * Self.mebibyte + 17)
        defer { file.remove() }
        try await S3TestServer.withBucket { client in
            let length = Int64(3 * Self.mebibyte)
            try await client.putObject(key: "file.bin", body: .file(path: file.path, offset: 17, length: length))
            #expect(try await client.headObject(key: "file.bin")?.size == length)
            let download = try await client.download(key: "file.bin")
            #expect(download.bytes == Array(file.bytes[17...]))
            #expect(download.chunks > 1, "the body should arrive as a stream of chunks")
        }
    }

    @Test func multipartUploadFromFileRanges() async throws {
        let partSize = 5 * Self.mebibyte
        let file = try RandomFile(size: 2 * partSize + 1234)
        defer { file.remove() }
        try await S3TestServer.withBucket { client in
            let key = "multi/part ü+.bin"
            let uploadID = try await client.createMultipartUpload(key: key)
            var parts: [S3CompletedPart] = []
            for (index, offset) in [0, partSize, 2 * partSize].enumerated() {
                let length = min(partSize, file.bytes.count - offset)
                let etag = try await client.uploadPart(
                    key: key, uploadID: uploadID, partNumber: index + 1,
                    body: .file(path: file.path, offset: Int64(offset), length: Int64(length)))
                parts.append(S3CompletedPart(partNumber: index + 1, etag: etag))
            }
            try await client.completeMultipartUpload(key: key, uploadID: uploadID, parts: parts)

            #expect(try await client.headObject(key: key)?.size == Int64(file.bytes.count))
            let acrossFirstBoundary = Int64(partSize - 10)...Int64(partSize + 9)
            #expect(try await client.download(key: key, range: acrossFirstBoundary).bytes == Array(file.bytes[partSize - 10...partSize + 9]))
            let tail = Int64(2 * partSize - 5)...Int64(file.bytes.count - 1)
            #expect(try await client.download(key: key, range: tail).bytes == Array(file.bytes[(2 * partSize - 5)...]))

            var hasher = SHA256()
            try await client.getObject(key: key) { chunk in
                chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            }
            #expect(hasher.finalize() == SHA256.hash(data: file.bytes))
            #expect(try await client.listMultipartUploads().isEmpty)
        }
    }

    @Test func abortedUploadsAreGone() async throws {
        try await S3TestServer.withBucket { client in
            let uploadID = try await client.createMultipartUpload(key: "aborted/x", contentType: "text/plain")
            _ = try await client.uploadPart(key: "aborted/x", uploadID: uploadID, partNumber: 1, body: .bytes(ByteBuffer(string: "part")))
            let listed = try await client.listMultipartUploads(prefix: "aborted/")
            #expect(listed.map(\.uploadID) == [uploadID])
            #expect(listed.map(\.key) == ["aborted/x"])
            #expect(try abs(#require(listed.first).initiated.timeIntervalSinceNow) < 600)

            try await client.abortMultipartUpload(key: "aborted/x", uploadID: uploadID)
            #expect(try await client.listMultipartUploads(prefix: "aborted/").isEmpty)
            try await client.abortMultipartUpload(key: "aborted/x", uploadID: uploadID)
            #expect(try await client.headObject(key: "aborted/x") == nil)
        }
    }

    @Test func listingPagesThroughAPrefix() async throws {
        try await S3TestServer.withBucket { client in
            let keys = (1...5).map { "list/\($0).txt" }
            for key in keys + ["other.txt"] {
                try await client.putObject(key: key, body: .bytes(ByteBuffer(string: key)))
            }
            var listed: [S3ListedObject] = []
            var pages = 0
            var token: String?
            repeat {
                let page = try await client.listObjects(prefix: "list/", continuationToken: token, maxKeys: 2)
                listed += page.objects
                token = page.nextContinuationToken
                pages += 1
            } while token != nil
            #expect(listed.map(\.key) == keys)
            #expect(listed.map(\.size) == keys.map { Int64($0.utf8.count) })
            #expect(pages == 3)
            #expect(try await client.listObjects(prefix: "nothing/").objects.isEmpty)
        }
    }

    @Test func keysWithUnicodeSpacesAndReservedCharacters() async throws {
        let keys = [
            "ü/ñ 日本/a b.txt", "plus+sign", "two  spaces ", "reserved!$&'()*,;=:@[]", "percent%20literal",
            "question?and#hash", "tilde~dash-dot._", "dots/./and/../kept", "double//slash",
        ]
        try await S3TestServer.withBucket { client in
            for key in keys {
                try await client.putObject(key: key, body: .bytes(ByteBuffer(string: key)))
                #expect(try await client.headObject(key: key)?.size == Int64(key.utf8.count), "\(key)")
                #expect(try await client.download(key: key).bytes == Array(key.utf8), "\(key)")
            }
            let listed = try await client.listObjects().keys
            #expect(listed.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } == keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            for key in keys {
                try await client.deleteObject(key: key)
            }
            #expect(try await client.listObjects().objects.isEmpty)
        }
    }

    @Test func wrongSecretIsSignatureDoesNotMatch() async throws {
        try await S3TestServer.withBucket { client in
            let credentials = try #require(S3TestServer.credentials)
            let impostor = try S3TestServer.client(
                bucket: client.location.bucket,
                credentials: S3Credentials(accessKeyID: credentials.accessKeyID, secretAccessKey: credentials.secretAccessKey + "x"))
            await #expect {
                try await impostor.putObject(key: "x", body: .bytes(ByteBuffer(string: "x")))
            } throws: { error in
                guard case S3Error.service(status: 403, code: "SignatureDoesNotMatch", _, let requestID) = error else { return false }
                return requestID != nil
            }
        }
    }

    @Test func bucketCreationIsIdempotentAndHealthChecked() async throws {
        try await S3TestServer.withBucket { client in
            try await client.createBucket()
            try await client.checkBucket()
        }
        let missing = try S3TestServer.client()
        await #expect {
            try await missing.checkBucket()
        } throws: { error in
            if case S3Error.service(status: 404, _, _, _) = error { true } else { false }
        }
    }

    @Test func keyPrefixOfTheLocationIsAppliedAndRemoved() async throws {
        try await S3TestServer.withBucket { client in
            let tenant = try S3TestServer.client(bucket: client.location.bucket, keyPrefix: "tenant/a")
            try await tenant.putObject(key: "x y", body: .bytes(ByteBuffer(string: "in tenant")))
            #expect(try await client.listObjects().keys == ["tenant/a/x y"])
            #expect(try await tenant.listObjects().keys == ["x y"])
            #expect(try await tenant.download(key: "x y").bytes == Array("in tenant".utf8))

            let uploadID = try await tenant.createMultipartUpload(key: "big")
            #expect(try await tenant.listMultipartUploads().map(\.key) == ["big"])
            #expect(try await client.listMultipartUploads().map(\.key) == ["tenant/a/big"])
            try await tenant.abortMultipartUpload(key: "big", uploadID: uploadID)
        }
    }
}
