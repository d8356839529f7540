import Foundation
import NIOHTTP1
import SQLiteNIO
import SluiceServer
import Testing

/// API.md "Who may upload": a link uploaded with `X-Password` (tus: metadata `password`, form:
/// field `password`) answers 401 with a Basic challenge until the password comes.
@Suite struct LinkPasswordTests {
    static let password = "пароль 🔑"

    static func basic(_ password: String) -> (String, String) {
        AccessTests.basic("anyone", password)
    }

    /// The 401s and the one 200 every protected link gives.
    func expectProtected(_ server: LiveServer, link: String, bytes: [UInt8]) async throws {
        for headers in [[], [("X-Password", "wrong")], [Self.basic("wrong")], [("X-Password", "пароль")]] {
            let answer = try await server.request(.GET, link, headers: headers)
            #expect(answer.status == 401, "\(headers)")
            #expect(answer.header("WWW-Authenticate") == "Basic realm=\"Sluice link\", charset=\"UTF-8\"")
            #expect(answer.text == "password required\n")
        }
        #expect(try await server.request(.GET, link + "?info=1").status == 401)
        #expect(try await server.request(.GET, link + "?page=1").status == 401)
        #expect(try await server.request(.HEAD, link).status == 401)
        #expect(try await server.request(.GET, link, headers: [("X-Password", Self.password)]).body == bytes)
        #expect(try await server.request(.GET, link, headers: [Self.basic(Self.password)]).body == bytes)
        let ranged = try await server.request(.GET, link, headers: [Self.basic(Self.password), ("Range", "bytes=1-2")])
        #expect(ranged.status == 206)
        #expect(ranged.body == Array(bytes[1...2]))
    }

    @Test func aPutWithAPasswordIsServedOnlyWithIt() async throws {
        try await LiveServer.run { server in
            let bytes = testBytes(5000)
            let link = try await server.upload("secret.bin", bytes, headers: [("X-Password", Self.password)])
            try await expectProtected(server, link: link, bytes: bytes)
            // Only a slow salted hash is stored.
            if TestBackend.current.isEmbedded {
                let connection = try await SQLiteConnection.open(
                    storage: .file(path: server.dataDirectory.appendingPathComponent("sluice.sqlite").path))
                defer { Task { try? await connection.close() } }
                let stored = try await connection.query("SELECT password_hash FROM files").first?.column("password_hash")?.string
                #expect(stored?.hasPrefix("scrypt$16384$8$1$") == true)
                #expect(stored?.contains(Self.password) == false)
            }
            // Other links stay public.
            let open = try await server.upload("open.txt", Array("open".utf8))
            #expect(try await server.request(.GET, open).text == "open")
        }
    }

    @Test func aFormFieldOrTusMetadataSetsThePassword() async throws {
        try await LiveServer.run { server in
            let bytes = testBytes(3000, seed: 7)
            let form = MultipartUploadTests.form([
                ("file", "f.bin", bytes), ("password", nil, Array(Self.password.utf8)),
            ])
            let posted = try await MultipartUploadTests().post(server, form)
            #expect(posted.status == 201)
            try await expectProtected(server, link: posted.text.trimmingCharacters(in: .newlines), bytes: bytes)

            let tus = TusClient(server: server)
            let url = try await tus.create(length: bytes.count, metadata: ["filename": "t.bin", "password": Self.password, "note": "x"])
            // The password is never echoed back.
            let head = try await tus.send(.HEAD, url)
            let echoed = try #require(head.header("Upload-Metadata"))
            #expect(!echoed.contains("password"))
            #expect(echoed.contains("note"))
            let last = try await tus.patch(url, offset: 0, bytes)
            #expect(last.status == 204)
            try await expectProtected(server, link: try #require(last.header("X-Url")), bytes: bytes)
        }
    }

    @Test func aMalformedPasswordIsRefusedBeforeAnyByte() async throws {
        try await LiveServer.run { server in
            let empty = try await server.put("a.txt", [1], headers: [("X-Password", "")])
            #expect(empty.status == 400)
            let long = try await server.put("a.txt", [1], headers: [("X-Password", String(repeating: "x", count: 1025))])
            #expect(long.status == 400)
            let longest = try await server.put("a.txt", [1], headers: [("X-Password", String(repeating: "x", count: 1024))])
            #expect(longest.status == 201)
            #expect(try await server.rowCount() == 1)
        }
    }
}
