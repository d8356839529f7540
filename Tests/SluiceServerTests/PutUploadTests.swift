import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import SluiceCore
import SluiceServer
import Testing

/// API.md "Upload, the curl way": `PUT /{filename}` stores the body and answers with the link.
@Suite struct PutUploadTests {
    @Test(arguments: [0, 1, 2, 4095, 65_537, 1_000_003, 3_000_000])
    func roundTripsAnySize(size: Int) async throws {
        try await LiveServer.run { server in
            let bytes = testBytes(size)
            let answer = try await server.put("data.bin", bytes)
            #expect(answer.status == 201)
            let link = answer.text.trimmingCharacters(in: .newlines)
            #expect(link.hasPrefix(server.base + "/"))
            #expect(link.hasSuffix("/data.bin"))
            #expect(answer.header("Location") == link)
            let digest = Data(SHA256.hash(data: bytes)).base64EncodedString()
            #expect(answer.header("Repr-Digest") == "sha-256=:\(digest):")
            #expect(answer.header("X-Url-Delete")?.hasPrefix(link + "/") == true)

            let download = try await server.request(.GET, link)
            #expect(download.status == 200)
            #expect(download.body == bytes)
            #expect(download.header("Content-Length") == String(size))
            #expect(download.header("Repr-Digest") == "sha-256=:\(digest):")
        }
    }

    @Test func idsAndTokensAreLongRandomAndURLSafe() async throws {
        try await LiveServer.run { server in
            var ids = Set<String>()
            for _ in 0..<20 {
                let answer = try await server.put("same.txt", Array("same".utf8))
                let segments = answer.header("X-Url-Delete")!.dropFirst(server.base.count + 1).split(separator: "/")
                #expect(segments.count == 3)
                for random in [segments[0], segments[2]] {
                    #expect(random.count >= 22)
                    #expect(random.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
                    ids.insert(String(random))
                }
            }
            #expect(ids.count == 40)
        }
    }

    @Test func chunkedBodyStreamsToTheSameBytes() async throws {
        try await LiveServer.run { server in
            let bytes = testBytes(5_000_000)
            var request = HTTPClientRequest(url: server.base + "/chunked.bin")
            request.method = .PUT
            let chunks = stride(from: 0, to: bytes.count, by: 100_000).map { ByteBuffer(bytes: bytes[$0..<min($0 + 100_000, bytes.count)]) }
            request.body = .stream(chunks.async, length: .unknown)
            let answer = try await server.send(request)
            #expect(answer.status == 201)
            let download = try await server.request(.GET, answer.text.trimmingCharacters(in: .newlines))
            #expect(download.body == bytes)
        }
    }

    @Test func streamsOneGibibyteAndKeepsItsDigest() async throws {
        try await LiveServer.run { server in
            let block = testBytes(1 << 20)
            let blocks = 1024
            var expected = SHA256()
            for _ in 0..<blocks { expected.update(data: block) }
            var request = HTTPClientRequest(url: server.base + "/big.bin")
            request.method = .PUT
            request.headers.add(name: "Accept", value: "application/json")
            let chunk = ByteBuffer(bytes: block)
            request.body = .stream(RepeatedChunks(chunk: chunk, count: blocks), length: .known(Int64(blocks) << 20))
            let answer = try await server.send(request)
            #expect(answer.status == 201)
            let json = try answer.json()
            let digest = Hex.encode(expected.finalize())
            #expect(json["sha256"] as? String == digest)
            #expect(json["size"] as? Int == 1 << 30)

            var download = HTTPClientRequest(url: json["url"] as! String)
            download.method = .GET
            let response = try await HTTPClient.shared.execute(download, timeout: .seconds(300))
            var actual = SHA256()
            var received = 0
            for try await part in response.body {
                part.withUnsafeReadableBytes { actual.update(bufferPointer: $0) }
                received += part.readableBytes
            }
            #expect(received == 1 << 30)
            #expect(Hex.encode(actual.finalize()) == digest)
        }
    }

    @Test(arguments: ["привет мир.txt", "emoji 🎬 film.mkv", "a b+c%d.txt", "'quotes\" and ;.pdf"])
    func keepsAnyUTF8Name(name: String) async throws {
        try await LiveServer.run { server in
            let path = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let answer = try await server.put(path, Array("hello".utf8), headers: [("Accept", "application/json")])
            #expect(answer.status == 201)
            let json = try answer.json()
            #expect(json["name"] as? String == name)
            let download = try await server.request(.GET, json["url"] as! String)
            #expect(download.body == Array("hello".utf8))
            let disposition = try #require(download.header("Content-Disposition"))
            #expect(disposition.hasPrefix("attachment; filename=\""))
            let encoded = name.utf8.map { byte -> String in
                let scalar = UnicodeScalar(byte)
                return byte < 0x80 && (CharacterSet.alphanumerics.contains(scalar) || "!#$&+-.^_`|~".unicodeScalars.contains(scalar))
                    ? String(scalar) : String(format: "%%%02X", byte)
            }.joined()
            #expect(disposition.hasSuffix("filename*=UTF-8''\(encoded)"))
        }
    }

    @Test func answersJSONOnRequest() async throws {
        try await LiveServer.run { server in
            let answer = try await server.put("notes.txt", Array("x".utf8), headers: [
                ("Accept", "application/json"), ("Max-Downloads", "3"), ("Max-Days", "0.5"),
            ])
            #expect(answer.status == 201)
            let json = try answer.json()
            #expect(Set(json.keys) == ["id", "name", "size", "sha256", "url", "deleteUrl", "expiresAt", "maxDownloads"])
            #expect(json["maxDownloads"] as? Int == 3)
            let expires = try #require(json["expiresAt"] as? String)
            let expected = server.clock.now.addingTimeInterval(43_200)
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            #expect(formatter.date(from: expires) == expected)
            #expect(json["sha256"] as? String == Hex.encode(SHA256.hash(data: Array("x".utf8))))

            let plain = try await server.put("plain.txt", Array("x".utf8), headers: [("Accept", "application/json")])
            let plainJSON = try plain.json()
            #expect(plainJSON["expiresAt"] is NSNull)
            #expect(plainJSON["maxDownloads"] is NSNull)
        }
    }

    @Test(arguments: [
        ("Max-Downloads", "0"), ("Max-Downloads", "-1"), ("Max-Downloads", "1.5"), ("Max-Downloads", "abc"),
        ("Max-Downloads", "99999999999999999999"), ("Max-Days", "0"), ("Max-Days", "-2"), ("Max-Days", "3651"),
        ("Max-Days", "1e3"), ("Max-Days", "nan"), ("Max-Days", ".5"), ("X-Progress-Id", "short"),
        ("X-Progress-Id", "has space in it"), ("X-Progress-Id", String(repeating: "k", count: 129)),
    ])
    func refusesMalformedOptionsAndStoresNothing(header: String, value: String) async throws {
        try await LiveServer.run { server in
            let answer = try await server.put("f.txt", Array("data".utf8), headers: [(header, value)])
            #expect(answer.status == 400)
            #expect(!answer.text.isEmpty)
            #expect(try await server.storedFiles().isEmpty)
            #expect(try await server.rowCount() == 0)
        }
    }

    @Test func acceptsExactlyTheLimitAndRefusesOneByteMore() async throws {
        try await LiveServer.run(configure: { $0.maxUploadSize = 1000 }) { server in
            #expect(try await server.put("ok.bin", testBytes(1000)).status == 201)
            let tooBig = try await server.put("big.bin", testBytes(1001))
            #expect(tooBig.status == 413)
            #expect(try await server.storedFiles().count == 1)
            #expect(try await server.rowCount() == 1)
        }
    }

    @Test func refusesAChunkedBodyAsSoonAsItPassesTheLimit() async throws {
        try await LiveServer.run(configure: { $0.maxUploadSize = 1 << 20 }) { server in
            var request = HTTPClientRequest(url: server.base + "/big.bin")
            request.method = .PUT
            request.body = .stream(RepeatedChunks(chunk: ByteBuffer(bytes: testBytes(64 << 10)), count: 64), length: .unknown)
            let answer = try await server.send(request)
            #expect(answer.status == 413)
            #expect(try await server.storedFiles().isEmpty)
            #expect(try await server.rowCount() == 0)
        }
    }

    @Test func hundredConcurrentUploadsAllLand() async throws {
        try await LiveServer.run { server in
            let links = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for index in 0..<100 {
                    group.addTask { (index, try await server.upload("f\(index).bin", testBytes(10_000 + index, seed: UInt64(index)))) }
                }
                return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
            }
            #expect(Set(links.values).count == 100)
            for (index, link) in links {
                #expect(try await server.request(.GET, link).body == testBytes(10_000 + index, seed: UInt64(index)))
            }
            #expect(try await server.rowCount() == 100)
        }
    }

    /// With room for two reads at a time (grants of 128 KiB), uploads wait their turn.
    @Test func uploadsBeyondTheReadBudgetWaitTheirTurnAndAllLand() async throws {
        try await LiveServer.run(configure: { $0.readBudget = 256 << 10 }) { server in
            let size = 600_000  // five reads each
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        let link = try await server.upload("w\(index).bin", testBytes(size + index, seed: UInt64(index)))
                        #expect(try await server.request(.GET, link).body == testBytes(size + index, seed: UInt64(index)))
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await server.rowCount() == 12)
        }
    }
}

/// The same chunk `count` times, as an async sequence: a large body without a large array.
struct RepeatedChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let chunk: ByteBuffer
    let count: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let chunk: ByteBuffer
        var remaining: Int
        mutating func next() async -> ByteBuffer? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunk: chunk, remaining: count) }
}

extension Array where Element == ByteBuffer {
    /// The buffers as an async sequence.
    var async: RepeatedBuffers { RepeatedBuffers(buffers: self) }
}

/// A fixed list of buffers as an async sequence.
struct RepeatedBuffers: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffers: [ByteBuffer]

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: IndexingIterator<[ByteBuffer]>
        mutating func next() async -> ByteBuffer? { base.next() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: buffers.makeIterator()) }
}
