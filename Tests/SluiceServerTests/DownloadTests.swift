import Foundation
import NIOHTTP1
import SluiceServer
import SluiceTestSupport
import Testing

/// API.md "Download": streamed bodies, ranges, conditional requests, HEAD, `?info=1`, `?inline=1`.
@Suite struct DownloadTests {
    let content = testBytes(1000)

    @Test(.enabled(if: TestBackend.current.isEmbedded, "cuts a local blob short"))
    func aSmallFileShorterThanItsRecordIsAnErrorNotACutBody() async throws {
        try await LiveServer.run { server in
            let link = try await server.upload("short.bin", content)
            let id = try #require(link.split(separator: "/").dropLast().last.map(String.init))
            let blob = server.dataDirectory.appendingPathComponent("blobs/\(id.prefix(2))/\(id)")
            let handle = try FileHandle(forWritingTo: blob)
            try handle.truncate(atOffset: 10)
            try handle.close()
            // The body is read before the answer starts, so the client gets a status, not a
            // 200 whose body stops short.
            let answer = try await server.request(.GET, link)
            #expect(answer.status == 404)
            #expect(answer.text.contains("shorter than its record"))
        }
    }

    @Test(.enabled(if: TestBackend.current.isEmbedded, "cuts a local blob short"))
    func aLargeFileShorterThanItsRecordEndsTheConnection() async throws {
        try await LiveServer.run { server in
            let link = try await server.upload("short.bin", testBytes(3 << 20))
            let id = try #require(link.split(separator: "/").dropLast().last.map(String.init))
            let blob = server.dataDirectory.appendingPathComponent("blobs/\(id.prefix(2))/\(id)")
            let handle = try FileHandle(forWritingTo: blob)
            try handle.truncate(atOffset: 1_500_000)
            try handle.close()
            // The answer has begun when the file is opened: the connection ends early (a
            // `sendfile` past the end would send nothing and never finish).
            for range in ["bytes=0-", "bytes=1000000-2000000", "bytes=2000000-3000000"] {
                await #expect(throws: (any Error).self, "\(range)") {
                    try await server.request(.GET, link, headers: [("Range", range)])
                }
            }
        }
    }

    @Test func servesTheFileWithItsHeaders() async throws {
        try await LiveServer.run { server in
            let link = try await server.upload("photo.JPG", content)
            let answer = try await server.request(.GET, link)
            #expect(answer.status == 200)
            #expect(answer.header("Content-Type") == "image/jpeg")
            #expect(answer.header("Accept-Ranges") == "bytes")
            #expect(answer.header("Content-Disposition") == "attachment; filename=\"photo.JPG\"; filename*=UTF-8''photo.JPG")
            let etag = try #require(answer.header("ETag"))
            #expect(etag.hasPrefix("\"") && !etag.hasPrefix("W/"))
            #expect(answer.header("Last-Modified") == "Fri, 15 Jan 2027 08:00:00 GMT")

            let inline = try await server.request(.GET, link + "?inline=1")
            #expect(inline.header("Content-Disposition")?.hasPrefix("inline; ") == true)
            let byID = try await server.request(.GET, String(link.dropLast("/photo.JPG".count)))
            #expect(byID.body == content)
            let otherName = try await server.request(.GET, String(link.dropLast("/photo.JPG".count)) + "/whatever")
            #expect(otherName.body == content)
        }
    }

    @Test func sameBytesGiveTheSameETag() async throws {
        try await LiveServer.run { server in
            let first = try await server.request(.HEAD, try await server.upload("a.bin", content))
            let second = try await server.request(.HEAD, try await server.upload("b.bin", content))
            let other = try await server.request(.HEAD, try await server.upload("c.bin", testBytes(1000, seed: 7)))
            #expect(first.header("ETag") == second.header("ETag"))
            #expect(first.header("ETag") != other.header("ETag"))
        }
    }

    @Test(arguments: [
        ("bytes=0-0", 0, 0), ("bytes=10-19", 10, 19), ("bytes=990-", 990, 999), ("bytes=-5", 995, 999),
        ("bytes=-5000", 0, 999), ("bytes=900-5000", 900, 999), ("bytes=999-999", 999, 999),
    ])
    func servesRanges(range: String, first: Int, last: Int) async throws {
        try await LiveServer.run { server in
            let link = try await server.upload("r.bin", content)
            let answer = try await server.request(.GET, link, headers: [("Range", range)])
            #expect(answer.status == 206)
            #expect(answer.header("Content-Range") == "bytes \(first)-\(last)/1000")
            #expect(answer.header("Content-Length") == String(last - first + 1))
            #expect(answer.body == Array(content[first...last]))
            #expect(answer.header("Repr-Digest") != nil)
        }
    }

    @Test(arguments: ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
    func refusesUnsatisfiableRanges(range: String) async throws {
        try await LiveServer.run { server in
            let link = try await server.upload("r.bin", content)
            let answer = try await server.request(.GET, link, headers: [("Range", range)])
            #expect(answer.status == 416)
            #expect(answer.header("Content-Range") == "bytes */1000")
        }
    }

    @Test(arguments: ["bytes=abc", "bytes=5-1", "items=0-1", "bytes=0-1,5-6"])
    func answersMalformedOrMultipleRangesWithTheWholeBody(range: String) async throws {
        try await LiveServer.run { server in
            let link = try await server.upload("r.bin", content)
            let answer = try await server.request(.GET, link, headers: [("Range", range)])
            #expect(answer.status == 200)
            #expect(answer.body == content)
        }
    }

    @Test func honoursConditionalRequests() async throws {
        try await LiveServer.run { server in
            let link = try await server.upload("c.bin", content)
            let first = try await server.request(.GET, link)
            let etag = try #require(first.header("ETag"))
            let lastModified = try #require(first.header("Last-Modified"))

            #expect(try await server.request(.GET, link, headers: [("If-None-Match", etag)]).status == 304)
            #expect(try await server.request(.GET, link, headers: [("If-None-Match", "\"other\", " + etag)]).status == 304)
            #expect(try await server.request(.GET, link, headers: [("If-None-Match", "\"other\"")]).status == 200)
            #expect(try await server.request(.HEAD, link, headers: [("If-None-Match", etag)]).status == 304)

            let matching = try await server.request(.GET, link, headers: [("Range", "bytes=0-9"), ("If-Range", etag)])
            #expect(matching.status == 206)
            let byDate = try await server.request(.GET, link, headers: [("Range", "bytes=0-9"), ("If-Range", lastModified)])
            #expect(byDate.status == 206)
            let stale = try await server.request(.GET, link, headers: [("Range", "bytes=0-9"), ("If-Range", "\"stale\"")])
            #expect(stale.status == 200)
            #expect(stale.body == content)
            let weak = try await server.request(.GET, link, headers: [("Range", "bytes=0-9"), ("If-Range", "W/" + etag)])
            #expect(weak.status == 200)
        }
    }

    @Test func headGivesTheHeadersWithoutABody() async throws {
        try await LiveServer.run { server in
            let link = try await server.upload("h.txt", content)
            let get = try await server.request(.GET, link)
            let head = try await server.request(.HEAD, link)
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            for name in ["Content-Length", "Content-Type", "ETag", "Last-Modified", "Content-Disposition", "Repr-Digest", "Accept-Ranges"] {
                #expect(head.header(name) == get.header(name), "\(name)")
            }
            let partial = try await server.request(.HEAD, link, headers: [("Range", "bytes=0-9")])
            #expect(partial.status == 206)
            #expect(partial.header("Content-Length") == "10")
        }
    }

    @Test func infoDescribesTheFileWithoutCountingADownload() async throws {
        try await LiveServer.run { server in
            let link = try await server.upload("doc.pdf", content, headers: [("Max-Downloads", "1")])
            let info = try await server.request(.GET, link + "?info=1")
            #expect(info.status == 200)
            let json = try info.json()
            #expect(json["name"] as? String == "doc.pdf")
            #expect(json["size"] as? Int == 1000)
            #expect(json["type"] as? String == "application/pdf")
            #expect(json["downloadsLeft"] as? Int == 1)
            #expect(json["url"] as? String == link)
            #expect(json["deleteUrl"] == nil)
            #expect(json["createdAt"] is String)
            _ = try await server.request(.GET, link + "?info=1")
            #expect(try await server.request(.GET, link).status == 200)
        }
    }

    /// Bodies over 64 KiB leave by `sendfile` from local storage, in chunks of 8 MiB (through
    /// memory from S3): exact whole and in ranges across chunks, also when the file's pages
    /// are not in memory, and counted in the metrics as bytes sent.
    @Test func largeBodiesAreExactWholeAndInRanges() async throws {
        let large = testBytes(17 * 1024 * 1024 + 12_345, seed: 11)
        try await LiveServer.run { server in
            let link = try await server.upload("large.bin", large)
            let sentBefore = try await Self.bytesSent(server)
            #expect(try await server.request(.GET, link).body == large)
            let ranges = [(0, 65_536), (8_000_000, 9_000_000), (16_777_000, large.count - 1), (100_000, large.count - 2)]
            for (first, last) in ranges {
                let answer = try await server.request(.GET, link, headers: [("Range", "bytes=\(first)-\(last)")])
                #expect(answer.status == 206)
                #expect(answer.body == Array(large[first...last]), "\(first)-\(last)")
            }
            let sent = try await Self.bytesSent(server) - sentBefore
            #expect(sent >= Double(large.count + ranges.map { $0.1 - $0.0 + 1 }.reduce(0, +)))

            guard TestBackend.current.isEmbedded else { return }
            let id = try #require(link.split(separator: "/").dropLast().last.map(String.init))
            let blob = server.dataDirectory.appendingPathComponent("blobs/\(id.prefix(2))/\(id)").path
            #expect(dropCachedPages(blob))
            #expect(try await server.request(.GET, link).body == large)
            #expect(dropCachedPages(blob))
            let tail = try await server.request(.GET, link, headers: [("Range", "bytes=2000000-")])
            #expect(tail.body == Array(large[2_000_000...]))
        }
    }

    /// `sluice_bytes_out_total` of the test process (shared by every server in it).
    static func bytesSent(_ server: LiveServer) async throws -> Double {
        let metrics = try await server.request(.GET, "/metrics").text
        let line = metrics.split(separator: "\n").first { $0.hasPrefix("sluice_bytes_out_total ") }
        return try #require(line?.split(separator: " ").last.flatMap { Double($0) })
    }

    @Test(arguments: ["/AAAAAAAAAAAAAAAAAAAAAA", "/AAAAAAAAAAAAAAAAAAAAAA/x.txt", "/short", "/../../etc/passwd", "/%00"])
    func unknownLinksAreNotFound(path: String) async throws {
        try await LiveServer.run { server in
            let answer = try await server.request(.GET, path)
            #expect(answer.status == 404)
        }
    }
}

/// Uploaded documents never run as pages of this origin.
@Suite struct InlineSafetyTests {
    @Test func scriptableUploadsAreSandboxed() async throws {
        try await LiveServer.run { server in
            let page = try await server.upload("page.html", Array("<script>alert(1)</script>".utf8))
            let html = try await server.request(.GET, page + "?inline=1")
            #expect(html.header("Content-Security-Policy") == "sandbox")
            #expect(html.header("X-Content-Type-Options") == "nosniff")
            let pdf = try await server.upload("paper.pdf", Array("%PDF-1.4".utf8))
            #expect(try await server.request(.GET, pdf + "?inline=1").header("Content-Security-Policy") == nil)
        }
    }
}
