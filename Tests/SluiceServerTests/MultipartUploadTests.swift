import AsyncHTTPClient
import Foundation
import NIOHTTP1
import SluiceServer
import Testing

/// API.md "Upload, the browser way": `POST /` with `multipart/form-data`.
@Suite struct MultipartUploadTests {
    static let boundary = "----sluiceBoundary7MA4YWxkTrZu0gW"

    static func form(_ parts: [(name: String, filename: String?, bytes: [UInt8])]) -> [UInt8] {
        var body: [UInt8] = []
        for part in parts {
            var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\""
            if let filename = part.filename { head += "; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream" }
            head += "\r\n\r\n"
            body += Array(head.utf8) + part.bytes + Array("\r\n".utf8)
        }
        return body + Array("--\(boundary)--\r\n".utf8)
    }

    func post(_ server: LiveServer, _ body: [UInt8], headers: [(String, String)] = []) async throws -> Answer {
        try await server.request(
            .POST, "/", headers: [("Content-Type", "multipart/form-data; boundary=\(Self.boundary)")] + headers, body: body)
    }

    @Test func storesEveryFileOfTheFormInOrder() async throws {
        try await LiveServer.run { server in
            let files = [testBytes(1), testBytes(300_000, seed: 2), testBytes(0), testBytes(70_000, seed: 3)]
            let body = Self.form([
                ("maxDownloads", nil, Array("5".utf8)),
                ("file", "one.bin", files[0]), ("file", "два.bin", files[1]),
                ("file", "empty.txt", files[2]), ("file", "four.bin", files[3]),
                ("maxDays", nil, Array("2".utf8)),
            ])
            let answer = try await post(server, body)
            #expect(answer.status == 201)
            let links = answer.text.split(separator: "\n").map(String.init)
            #expect(links.count == 4)
            #expect(links[1].hasSuffix("/%D0%B4%D0%B2%D0%B0.bin"))
            for (link, bytes) in zip(links, files) {
                #expect(try await server.request(.GET, link).body == bytes)
                let info = try await server.request(.GET, link + "?info=1").json()
                #expect(info["maxDownloads"] as? Int == 5)
                #expect(info["expiresAt"] is String)
            }
        }
    }

    @Test func answersAJSONArray() async throws {
        try await LiveServer.run { server in
            let body = Self.form([("file", "a.txt", testBytes(5)), ("file", "b.txt", testBytes(6))])
            let answer = try await post(server, body, headers: [("Accept", "application/json")])
            #expect(answer.status == 201)
            let array = try #require(try JSONSerialization.jsonObject(with: Data(answer.body)) as? [[String: Any]])
            #expect(array.map { $0["name"] as? String } == ["a.txt", "b.txt"])
            #expect(array.allSatisfy { $0["deleteUrl"] is String })
        }
    }

    @Test func skipsAnEmptyFileInput() async throws {
        try await LiveServer.run { server in
            let body = Self.form([("file", "", []), ("file", "real.txt", testBytes(3))])
            let answer = try await post(server, body)
            #expect(answer.status == 201)
            #expect(answer.text.split(separator: "\n").count == 1)
        }
    }

    @Test(arguments: [
        Array("--wrong\r\n\r\n".utf8),
        Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\nno end".utf8),
        Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\nabc\r\n--\(boundary)--\r\n".utf8.dropLast(40)),
        Array("--\(boundary)\r\nContent-Disposition: attachment\r\n\r\nabc\r\n--\(boundary)--\r\n".utf8),
        Array("".utf8),
    ])
    func refusesMalformedFormsAndStoresNothing(body: [UInt8]) async throws {
        try await LiveServer.run { server in
            let answer = try await post(server, body)
            #expect(answer.status == 400)
            #expect(try await server.storedFiles().isEmpty)
            #expect(try await server.rowCount() == 0)
        }
    }

    @Test func aFormWithABadFieldStoresNothing() async throws {
        let body = Self.form([("file", "a.bin", testBytes(100_000)), ("maxDays", nil, Array("-1".utf8))])
        try await LiveServer.run { server in
            let answer = try await post(server, body)
            #expect(answer.status == 400)
            #expect(try await server.storedFiles().isEmpty)
            #expect(try await server.rowCount() == 0)
        }
    }

    @Test func emptyLimitFieldsMeanNoLimit() async throws {
        let body = Self.form([("maxDays", nil, []), ("maxDownloads", nil, Array(" ".utf8)), ("file", "a.txt", Array("a".utf8))])
        try await LiveServer.run { server in
            let answer = try await post(server, body)
            #expect(answer.status == 201)
            let info = try await server.request(.GET, answer.text.trimmingCharacters(in: .newlines) + "?info=1").json()
            #expect(info["maxDownloads"] is NSNull)
            #expect(info["expiresAt"] is NSNull)
        }
    }

    @Test func refusesOtherContentTypes() async throws {
        try await LiveServer.run { server in
            let answer = try await server.request(.POST, "/", headers: [("Content-Type", "application/json")], body: Array("{}".utf8))
            #expect(answer.status == 415)
        }
    }
}
