import Foundation
import NIOHTTP1
import SluiceCore
import SluiceServer
import Testing

/// API.md "Resumable upload": tus 1.0.0 at `/files/`, status by status and header by header.
@Suite struct TusProtocolTests {
    @Test func optionsAdvertisesTheProtocol() async throws {
        try await LiveServer.run(configure: { $0.maxUploadSize = 123_456 }) { server in
            let answer = try await server.request(.OPTIONS, "/files/")
            #expect(answer.status == 204)
            #expect(answer.header("Tus-Version") == "1.0.0")
            let extensions = Set((answer.header("Tus-Extension") ?? "").split(separator: ",").map(String.init))
            #expect(
                extensions == [
                    "creation", "creation-with-upload", "creation-defer-length", "termination", "expiration", "checksum",
                ])
            #expect(answer.header("Tus-Max-Size") == "123456")
            #expect(answer.header("Tus-Checksum-Algorithm") == "md5,sha1,sha256")
            #expect(answer.header("Tus-Resumable") == nil)
        }
    }

    @Test func everyMethodButOptionsNeedsTusResumable() async throws {
        try await LiveServer.run { server in
            let tus = TusClient(server: server)
            let url = try await tus.create(length: 10)
            let requests: [(HTTPMethod, String, [(String, String)])] = [
                (.POST, "/files/", [("Upload-Length", "10")]),
                (.HEAD, url, []),
                (.PATCH, url, [("Upload-Offset", "0"), ("Content-Type", "application/offset+octet-stream")]),
                (.DELETE, url, []),
            ]
            for (method, path, headers) in requests {
                for version in [nil, "0.2.2"] {
                    let answer = try await server.request(
                        method, path, headers: headers + (version.map { [("Tus-Resumable", $0)] } ?? []),
                        body: method == .PATCH ? Array("hello".utf8) : nil)
                    #expect(answer.status == 412, "\(method) with Tus-Resumable \(version ?? "missing")")
                    #expect(answer.header("Tus-Version") == "1.0.0")
                }
            }
            #expect(try await server.rowCount() == 1)
            #expect(try await tus.offset(url) == 0)
        }
    }

    @Test func creationAnswersLocationOffsetAndExpiry() async throws {
        try await LiveServer.run(configure: { $0.tusExpiry = .seconds(3600) }) { server in
            let tus = TusClient(server: server)
            let answer = try await tus.send(
                .POST, "/files/",
                headers: [("Upload-Length", "5"), ("Upload-Metadata", "filename ZC50eHQ=,note,x aGk=")])
            #expect(answer.status == 201)
            #expect(answer.header("Tus-Resumable") == "1.0.0")
            let location = try #require(answer.header("Location"))
            #expect(location.hasPrefix(server.base + "/files/"))
            #expect(location.count == (server.base + "/files/").count + 44)
            #expect(answer.header("Upload-Offset") == "0")
            #expect(answer.header("Upload-Expires") == "Fri, 15 Jan 2027 09:00:00 GMT")

            let head = try await tus.send(.HEAD, location)
            #expect(head.status == 200)
            #expect(head.header("Upload-Offset") == "0")
            #expect(head.header("Upload-Length") == "5")
            #expect(head.header("Upload-Metadata") == "filename ZC50eHQ=,note,x aGk=")
            #expect(head.header("Cache-Control") == "no-store")
            #expect(head.header("Upload-Expires") == "Fri, 15 Jan 2027 09:00:00 GMT")
            #expect(head.header("X-Url") == nil)
        }
    }

    @Test func theLastPatchTurnsTheUploadIntoAFile() async throws {
        try await LiveServer.run { server in
            let tus = TusClient(server: server)
            let bytes = testBytes(300_000)
            let (url, last) = try await tus.upload(bytes, chunkSize: 100_000, metadata: ["filename": "отчёт 2026.pdf"])
            #expect(last.header("Upload-Offset") == "300000")
            let link = try #require(last.header("X-Url"))
            #expect(link.hasSuffix("/%D0%BE%D1%82%D1%87%D1%91%D1%82%202026.pdf"))
            let deleteLink = try #require(last.header("X-Url-Delete"))
            #expect(last.header("Repr-Digest") != nil)
            #expect(last.header("Upload-Expires") == nil)

            let download = try await server.request(.GET, link)
            #expect(download.status == 200)
            #expect(download.body == bytes)
            #expect(download.header("Content-Type") == "application/pdf")
            #expect(download.header("ETag") == "\"\(TusClient.sha256Hex(bytes))\"")

            let head = try await tus.send(.HEAD, url)
            #expect(head.status == 200)
            #expect(head.header("Upload-Offset") == "300000")
            #expect(head.header("Upload-Length") == "300000")
            #expect(head.header("X-Url") == link)
            #expect(head.header("X-Url-Delete") == deleteLink)
            #expect(try await server.storedFiles().count == 1)
            #expect(try await server.storedFiles().allSatisfy { $0.hasPrefix("blobs/") })

            #expect(try await server.request(.DELETE, deleteLink).status == 200)
            #expect(try await tus.send(.HEAD, url).status == 404)
        }
    }

    @Test func withoutAFilenameTheFileIsNamedByItsID() async throws {
        try await LiveServer.run { server in
            let (_, last) = try await TusClient(server: server).upload(Array("abc".utf8), chunkSize: 3)
            let link = try #require(last.header("X-Url"))
            let parts = link.dropFirst(server.base.count + 1).split(separator: "/")
            #expect(parts.count == 2 && parts[0] == parts[1])
        }
    }

    @Test func metadataSetsTypeAndLimits() async throws {
        try await LiveServer.run { server in
            let (_, last) = try await TusClient(server: server).upload(
                Array("{}".utf8), chunkSize: 2,
                metadata: ["filename": "data.bin", "filetype": "application/json", "maxDownloads": "1", "maxDays": "2"])
            let link = try #require(last.header("X-Url"))
            let info = try await server.request(.GET, link + "?info=1").json()
            #expect(info["maxDownloads"] as? Int == 1)
            #expect(info["expiresAt"] is String)
            let first = try await server.request(.GET, link)
            #expect(first.header("Content-Type") == "application/json")
            #expect(try await server.request(.GET, link).status == 404)
        }
    }

    @Test func anEmptyUploadIsCompleteAtCreation() async throws {
        try await LiveServer.run { server in
            let answer = try await TusClient(server: server).send(.POST, "/files/", headers: [("Upload-Length", "0")])
            #expect(answer.status == 201)
            let link = try #require(answer.header("X-Url"))
            let download = try await server.request(.GET, link)
            #expect(download.status == 200 && download.body.isEmpty)
        }
    }

    @Test func creationWithUploadStoresTheFirstBytes() async throws {
        try await LiveServer.run { server in
            let tus = TusClient(server: server)
            let partial = try await tus.send(
                .POST, "/files/",
                headers: [("Upload-Length", "10"), ("Content-Type", "application/offset+octet-stream")],
                body: Array("hello".utf8))
            #expect(partial.status == 201)
            #expect(partial.header("Upload-Offset") == "5")
            let url = try #require(partial.header("Location"))
            let done = try await tus.patch(url, offset: 5, Array("world".utf8))
            #expect(done.status == 204)
            let link = try #require(done.header("X-Url"))
            #expect(try await server.request(.GET, link).text == "helloworld")

            let whole = try await tus.send(
                .POST, "/files/",
                headers: [("Upload-Length", "3"), ("Content-Type", "application/offset+octet-stream")],
                body: Array("abc".utf8))
            #expect(whole.status == 201)
            #expect(whole.header("Upload-Offset") == "3")
            #expect(whole.header("X-Url") != nil)

            let wrongType = try await tus.send(
                .POST, "/files/", headers: [("Upload-Length", "3"), ("Content-Type", "text/plain")],
                body: Array("abc".utf8))
            #expect(wrongType.status == 415)
            #expect(try await server.rowCount() == 2)
        }
    }

    @Test func deferredLengthIsDeclaredByALaterPatch() async throws {
        try await LiveServer.run { server in
            let tus = TusClient(server: server)
            let url = try await tus.create(length: nil)
            let head = try await tus.send(.HEAD, url)
            #expect(head.header("Upload-Defer-Length") == "1")
            #expect(head.header("Upload-Length") == nil)
            #expect(try await tus.patch(url, offset: 0, Array("abc".utf8)).status == 204)
            let last = try await tus.patch(url, offset: 3, Array("def".utf8), headers: [("Upload-Length", "6")])
            #expect(last.status == 204)
            let link = try #require(last.header("X-Url"))
            #expect(try await server.request(.GET, link).text == "abcdef")
        }
    }

    @Test func aDeclaredLengthCannotChange() async throws {
        try await LiveServer.run { server in
            let tus = TusClient(server: server)
            let url = try await tus.create(length: 10)
            let answer = try await tus.patch(url, offset: 0, Array("abc".utf8), headers: [("Upload-Length", "11")])
            #expect(answer.status == 400)
            #expect(try await tus.offset(url) == 0)
        }
    }

    @Test func malformedHeadersAre400() async throws {
        try await LiveServer.run { server in
            let tus = TusClient(server: server)
            let creations: [[(String, String)]] = [
                [],
                [("Upload-Length", "-1")],
                [("Upload-Length", "ten")],
                [("Upload-Length", "10"), ("Upload-Defer-Length", "1")],
                [("Upload-Defer-Length", "2")],
                [("Upload-Length", "10"), ("Upload-Metadata", "filename not*base64")],
                [("Upload-Length", "10"), ("Upload-Metadata", "a YQ==,a YQ==")],
                [("Upload-Length", "10"), ("Upload-Metadata", "filename ZmlsZQ== extra")],
                [("Upload-Length", "10"), ("Upload-Metadata", "maxDays LTE=")],
            ]
            for headers in creations {
                #expect(try await tus.send(.POST, "/files/", headers: headers).status == 400, "\(headers)")
            }
            #expect(try await server.rowCount() == 0)

            let url = try await tus.create(length: 10)
            for offset in ["", "-1", "x", "1.5"] {
                let answer = try await tus.send(
                    .PATCH, url, headers: [("Upload-Offset", offset), ("Content-Type", "application/offset+octet-stream")],
                    body: Array("abc".utf8))
                #expect(answer.status == 400, "Upload-Offset \(offset)")
            }
            let unknownAlgorithm = try await tus.patch(url, offset: 0, Array("abc".utf8), headers: [("Upload-Checksum", "crc32 AAAAAA==")])
            #expect(unknownAlgorithm.status == 400)
            #expect(try await tus.offset(url) == 0)
        }
    }

    @Test func patchNeedsTheOffsetContentType() async throws {
        try await LiveServer.run { server in
            let tus = TusClient(server: server)
            let url = try await tus.create(length: 3)
            let answer = try await tus.send(
                .PATCH, url, headers: [("Upload-Offset", "0"), ("Content-Type", "application/octet-stream")],
                body: Array("abc".utf8))
            #expect(answer.status == 415)
            #expect(answer.header("Tus-Resumable") == "1.0.0")
            #expect(try await tus.offset(url) == 0)
        }
    }

    @Test func aWrongOffsetIsAConflict() async throws {
        try await LiveServer.run { server in
            let tus = TusClient(server: server)
            let url = try await tus.create(length: 10)
            #expect(try await tus.patch(url, offset: 0, Array("abc".utf8)).status == 204)
            #expect(try await tus.patch(url, offset: 0, Array("abc".utf8)).status == 409)
            #expect(try await tus.patch(url, offset: 5, Array("abc".utf8)).status == 409)
            #expect(try await tus.offset(url) == 3)
        }
    }

    @Test func tooLargeUploadsAndPatchesAre413() async throws {
        try await LiveServer.run(configure: { $0.maxUploadSize = 1000 }) { server in
            let tus = TusClient(server: server)
            #expect(try await tus.send(.POST, "/files/", headers: [("Upload-Length", "1001")]).status == 413)
            #expect(try await server.rowCount() == 0)

            let url = try await tus.create(length: 10)
            #expect(try await tus.patch(url, offset: 0, Array("abc".utf8)).status == 204)
            #expect(try await tus.patch(url, offset: 3, testBytes(8)).status == 413)
            #expect(try await tus.offset(url) == 3)

            let deferred = try await tus.create(length: nil)
            #expect(try await tus.patch(deferred, offset: 0, testBytes(1001)).status == 413)
            #expect(try await tus.offset(deferred) == 0)
        }
    }

    @Test(arguments: ["md5", "sha1", "sha256"])
    func checksumsAreChecked(algorithm: String) async throws {
        try await LiveServer.run { server in
            let tus = TusClient(server: server)
            let url = try await tus.create(length: 6)
            let chunk = Array("abcdef".utf8)
            // Digests of "abcdef" and of "abcdeg".
            let digests: [String: (right: String, wrong: String)] = [
                "md5": ("6AtQFwmJUPxYqtg8jBSXjg==", "de6y1eh7nwLNcJPmBKsR6Q=="),
                "sha1": ("H4rBDyPFtbwRZ72oS4M+XAV6d9I=", "2MdxrlW5pDYDTGThwOD/i4dqX68="),
                "sha256": ("vvV+x/U6bUC+tkCngKY5yDvCmsipgW8fxsXG3Nk8RyE=", "paUR7FiZytq9xOK777EG5zHHGNLMAizw9I82TVHtArs="),
            ]
            let (right, wrongDigest) = try #require(digests[algorithm])
            let wrong = try await tus.patch(url, offset: 0, chunk, headers: [("Upload-Checksum", "\(algorithm) \(wrongDigest)")])
            #expect(wrong.status == 460)
            #expect(try await tus.offset(url) == 0)
            let good = try await tus.patch(url, offset: 0, chunk, headers: [("Upload-Checksum", "\(algorithm) \(right)")])
            #expect(good.status == 204)
            #expect(good.header("X-Url") != nil)
        }
    }

    @Test func unknownAndMalformedUploadsAre404() async throws {
        try await LiveServer.run { server in
            let tus = TusClient(server: server)
            let url = try await tus.create(length: 10)
            let otherToken = String(url.dropLast(22)) + String(repeating: "A", count: 22)
            for path in ["/files/nope", "/files/" + String(repeating: "A", count: 44), otherToken] {
                #expect(try await tus.send(.HEAD, path).status == 404)
                #expect(try await tus.patch(path, offset: 0, Array("a".utf8)).status == 404)
                #expect(try await tus.send(.DELETE, path).status == 404)
            }
            #expect(try await tus.offset(url) == 0)
        }
    }

    @Test func terminationFreesTheBytes() async throws {
        try await LiveServer.run { server in
            let tus = TusClient(server: server)
            let url = try await tus.create(length: 100_000)
            #expect(try await tus.patch(url, offset: 0, testBytes(50_000)).status == 204)
            #expect(try await server.storedFiles().count == 1)
            let answer = try await tus.send(.DELETE, url)
            #expect(answer.status == 204)
            #expect(answer.header("Tus-Resumable") == "1.0.0")
            #expect(try await server.storedFiles().isEmpty)
            #expect(try await server.rowCount() == 0)
            #expect(try await tus.send(.HEAD, url).status == 404)
            #expect(try await tus.patch(url, offset: 50_000, testBytes(10)).status == 404)
        }
    }

    @Test func deletingAFinishedUploadDeletesTheFile() async throws {
        try await LiveServer.run { server in
            let tus = TusClient(server: server)
            let (url, last) = try await tus.upload(testBytes(1000), chunkSize: 1000)
            let link = try #require(last.header("X-Url"))
            #expect(try await tus.send(.DELETE, url).status == 204)
            #expect(try await server.request(.GET, link).status == 404)
            #expect(try await server.storedFiles().isEmpty)
        }
    }

    @Test func expiredUploadsAreGone() async throws {
        let clock = ManualWallClock()
        try await LiveServer.run(clock: clock, configure: { $0.tusExpiry = .seconds(600) }) { server in
            let tus = TusClient(server: server)
            let url = try await tus.create(length: 100)
            #expect(try await tus.patch(url, offset: 0, testBytes(10)).status == 204)
            clock.advance(by: 599)
            // Every PATCH moves the expiry forward.
            #expect(try await tus.patch(url, offset: 10, testBytes(10)).status == 204)
            clock.advance(by: 599)
            #expect(try await tus.offset(url) == 20)
            clock.advance(by: 2)
            #expect(try await tus.send(.HEAD, url).status == 410)
            #expect(try await tus.patch(url, offset: 20, testBytes(10)).status == 410)
        }
    }

    @Test func theSweeperRemovesExpiredUploads() async throws {
        let clock = ManualWallClock()
        try await LiveServer.run(clock: clock, configure: { $0.tusExpiry = .seconds(600); $0.sweepInterval = .milliseconds(50) }) { server in
            let tus = TusClient(server: server)
            let expiring = try await tus.create(length: 100)
            #expect(try await tus.patch(expiring, offset: 0, testBytes(10)).status == 204)
            clock.advance(by: 300)
            let fresh = try await tus.create(length: 100)
            #expect(try await tus.patch(fresh, offset: 0, testBytes(10)).status == 204)
            clock.advance(by: 301)
            try await waitUntil { try await server.rowCount() == 1 }
            #expect(try await server.storedFiles().count == 1)
            #expect(try await tus.send(.HEAD, expiring).status == 404)
            #expect(try await tus.offset(fresh) == 10)
        }
    }

    @Test func corsLetsAnotherOriginUseTus() async throws {
        try await LiveServer.run { server in
            let preflight = try await server.request(
                .OPTIONS, "/files/",
                headers: [("Origin", "https://example.org"), ("Access-Control-Request-Method", "PATCH")])
            #expect(preflight.header("Access-Control-Allow-Origin") == "*")
            #expect(preflight.header("Access-Control-Allow-Methods")?.contains("PATCH") == true)
            #expect(preflight.header("Access-Control-Allow-Headers")?.contains("Upload-Offset") == true)
            let creation = try await TusClient(server: server).send(
                .POST, "/files/", headers: [("Origin", "https://example.org"), ("Upload-Length", "1")])
            #expect(creation.header("Access-Control-Allow-Origin") == "*")
            let exposed = Set(
                (creation.header("Access-Control-Expose-Headers") ?? "").split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespaces)
                })
            for name in ["Location", "Upload-Offset", "Upload-Length", "Tus-Resumable", "Upload-Expires", "X-Url", "X-Url-Delete"] {
                #expect(exposed.contains(name), "\(name) is exposed")
            }
        }
    }
}

/// The tus prefix does not take names away from plain uploads.
@Suite struct TusPrefixTests {
    @Test func aFileNamedFilesCanStillBePut() async throws {
        try await LiveServer.run { server in
            let link = try await server.upload("files", Array("hi".utf8))
            #expect(link.hasSuffix("/files"))
            #expect(try await server.request(.GET, link).text == "hi")
        }
    }
}
