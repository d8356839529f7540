import Crypto
import Foundation
import NIOHTTP1
import SluiceCore
import Testing

@testable import SluiceServer

/// API.md "Operations" (`GET /` for browsers) and the download page `GET /{id}/{name}?page=1`.
@Suite struct WebPageTests {
    static let browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

    func page(_ server: LiveServer, _ path: String, language: String? = nil) async throws -> Answer {
        var headers = [("Accept", Self.browserAccept)]
        if let language { headers.append(("Accept-Language", language)) }
        return try await server.request(.GET, path, headers: headers)
    }

    @Test(arguments: [
        ("ru", "ru", "Поделитесь файлом по ссылке"),
        ("en", "en", "Share a file with a link"),
        ("de, ru;q=0.5", "ru", "Перетащите файлы сюда"),
        (nil, "en", "Drop files here"),
    ] as [(String?, String, String)])
    func uploadPageSpeaksTheReadersLanguage(acceptLanguage: String?, lang: String, text: String) async throws {
        try await LiveServer.run { server in
            let answer = try await page(server, "/", language: acceptLanguage)
            #expect(answer.status == 200)
            #expect(answer.header("Content-Type") == "text/html; charset=utf-8")
            #expect(answer.header("Cache-Control") == "no-cache")
            #expect(answer.header("Vary") == "Accept, Accept-Language")
            let policy = try #require(answer.header("Content-Security-Policy"))
            #expect(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"))
            #expect(answer.text.contains("<html lang=\"\(lang)\">"))
            #expect(answer.text.contains(text))
            #expect(answer.text.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
            for element in [
                "<input id=\"file-input\" type=\"file\" name=\"file\" multiple>", "<input id=\"max-days\"",
                "<input id=\"max-downloads\"", "<ul id=\"uploads\"",
            ] {
                #expect(answer.text.contains(element), "\(element)")
            }
            #expect(!answer.text.contains("<script>") && !answer.text.contains("style="), "no inline script or style")
        }
    }

    @Test func languageSwitchOverridesTheHeader() async throws {
        try await LiveServer.run { server in
            let answer = try await page(server, "/?lang=ru", language: "en")
            #expect(answer.text.contains("<html lang=\"ru\">"))
            #expect(answer.text.contains("href=\"?lang=en\""))
        }
    }

    @Test func assetsAreServedForGood() async throws {
        try await LiveServer.run { server in
            let html = try await page(server, "/").text
            let paths = html.matches(of: /"(\/static\/[a-z]+\.[0-9a-f]{12}\.(js|css|svg))"/).map { String($0.output.1) }
            #expect(Set(paths.map { $0.split(separator: ".").last! }) == ["js", "css", "svg"])
            let types = ["js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8", "svg": "image/svg+xml"]
            for path in Set(paths) {
                let answer = try await server.request(.GET, path)
                #expect(answer.status == 200, "\(path)")
                #expect(answer.header("Content-Type") == types[String(path.split(separator: ".").last!)])
                #expect(answer.header("Cache-Control") == "public, max-age=31536000, immutable")
                let digest = SHA256.hash(data: answer.body).map { String(format: "%02x", $0) }.joined()
                #expect(path.contains(".\(digest.prefix(12))."), "the name carries the content's hash")
                let etag = try #require(answer.header("ETag"))
                #expect(etag == "\"\(digest)\"")
                let again = try await server.request(.GET, path, headers: [("If-None-Match", etag)])
                #expect(again.status == 304)
                #expect(again.body.isEmpty)
            }
            #expect(try await server.request(.GET, "/static/app.000000000000.js").status == 404)
        }
    }

    @Test func faviconAnswersWithoutA404() async throws {
        try await LiveServer.run { server in
            let answer = try await server.request(.GET, "/favicon.ico")
            #expect(answer.status == 204)
        }
    }

    @Test(arguments: [nil, "*/*", "text/plain", "application/json", "text/html;q=0", "text/htmlx"] as [String?])
    func curlStillGetsPlainText(accept: String?) async throws {
        try await LiveServer.run { server in
            let answer = try await server.request(.GET, "/", headers: accept.map { [("Accept", $0)] } ?? [])
            #expect(answer.status == 200)
            #expect(answer.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(answer.header("Vary") == "Accept, Accept-Language")
            #expect(answer.text.contains("curl -T movie.mkv \(server.base)/"))
        }
    }

    @Test func filePageDescribesTheFileAndEscapesItsName() async throws {
        try await LiveServer.run { server in
            let name = "Отчёт <b>&\"'.txt"
            let link = try await server.upload(PathSegment.encode(name), Array("привет".utf8))
            let answer = try await page(server, link + "?page=1", language: "ru")
            #expect(answer.status == 200)
            #expect(answer.header("Content-Type") == "text/html; charset=utf-8")
            #expect(answer.header("Content-Security-Policy") != nil)
            #expect(answer.text.contains("<html lang=\"ru\">"))
            #expect(answer.text.contains("<h1 class=\"file-name\">Отчёт &lt;b&gt;&amp;&quot;&#39;.txt</h1>"))
            #expect(answer.text.contains("<title>Отчёт &lt;b&gt;&amp;&quot;&#39;.txt · Sluice</title>"))
            #expect(!answer.text.contains("<b>"))
            #expect(answer.text.contains("href=\"\(link)\" download>Скачать</a>"))
            // The link box shows the link decoded; the copy button (and a whole-box copy) gives it escaped.
            let shown = WebPage.readable(link)
            #expect(shown.contains("/Отчёт <b>") && shown != link)
            let box = "class=\"link-box\" type=\"text\" readonly value=\"\(HTML.escape(shown))\" data-copy=\"\(HTML.escape(link))\""
            #expect(answer.text.contains(box))
            #expect(answer.text.contains("class=\"button copy\" data-copy=\"\(link)\""))
            #expect(answer.text.contains("12\u{00A0}Б"))
            #expect(answer.text.contains("<code>text/plain; charset=utf-8</code>"))
            let path = String(link.dropFirst(server.base.count))
            #expect(answer.text.contains("data-kind=\"text\" data-src=\"\(path)?inline=1\""))
        }
    }

    @Test func viewingThePageCountsNoDownload() async throws {
        try await LiveServer.run { server in
            let content = testBytes(2000)
            let link = try await server.upload("once.png", content, headers: [("Max-Downloads", "1")])
            for _ in 0..<3 {
                let answer = try await page(server, link + "?page=1")
                #expect(answer.status == 200)
                #expect(answer.text.contains("data-kind=\"image\""))
                #expect(answer.text.contains("data-limited=\"1\""))
                #expect(answer.text.contains("<dt>Downloads left</dt><dd>1</dd>"))
                #expect(!answer.body.contains(content[0...20]))
            }
            #expect(try await server.request(.HEAD, link + "?page=1").status == 200)
            let download = try await server.request(.GET, link)
            #expect(download.status == 200)
            #expect(download.body == content)
            #expect(try await server.request(.GET, link).status == 404)

            let usedUp = try await page(server, link + "?page=1")
            #expect(usedUp.status == 404)
            #expect(usedUp.header("Content-Type") == "text/html; charset=utf-8")
            #expect(usedUp.text.contains("The link has reached its download limit."))
        }
    }

    @Test(arguments: ["/AAAAAAAAAAAAAAAAAAAAAA/x.txt?page=1", "/AAAAAAAAAAAAAAAAAAAAAA?page=1", "/not-an-id/x?page=1"])
    func unknownLinksGiveA404Page(path: String) async throws {
        try await LiveServer.run { server in
            let answer = try await page(server, path, language: "ru")
            #expect(answer.status == 404)
            #expect(answer.header("Content-Type") == "text/html; charset=utf-8")
            #expect(answer.text.contains("<html lang=\"ru\">"))
            #expect(answer.text.contains("Ссылка не работает"))
            // Without `?page=1` the link keeps its plain-text 404.
            let plain = try await server.request(.GET, String(path.dropLast("?page=1".count)))
            #expect(plain.status == 404)
            #expect(plain.header("Content-Type") == "text/plain; charset=utf-8")
        }
    }

    @Test func expiredLinksSaySo() async throws {
        try await LiveServer.run { server in
            let link = try await server.upload("soon.txt", testBytes(10), headers: [("Max-Days", "1")])
            server.clock.advance(by: 86_401)
            let answer = try await page(server, link + "?page=1")
            #expect(answer.status == 404)
            #expect(answer.text.contains("The link has expired."))
        }
    }

    @Test func theBareLinkStillGivesTheBytesToBrowsers() async throws {
        try await LiveServer.run { server in
            let content = testBytes(500)
            let link = try await server.upload("data.bin", content)
            let answer = try await page(server, link)
            #expect(answer.status == 200)
            #expect(answer.body == content)
        }
    }

    @Test func pagesLiveUnderThePublicURLsPath() async throws {
        try await LiveServer.run(configure: { $0.publicURL = "https://files.example.org/s/" }) { server in
            let html = try await page(server, "/").text
            #expect(html.contains("<body data-page=\"upload\" data-base=\"/s\">"))
            #expect(html.contains("<script src=\"/s/static/app."))
            #expect(html.contains("action=\"/s/\""))
            #expect(html.contains("curl -T movie.mkv https://files.example.org/s/"))
            let link = try await server.upload("a.txt", testBytes(5))
            let path = String(link.dropFirst("https://files.example.org/s".count))
            let file = try await page(server, path + "?page=1").text
            #expect(file.contains("href=\"\(link)\" download>"))
            #expect(file.contains("data-src=\"/s\(path)?inline=1\""))
        }
    }

    // MARK: Rendering

    @Test func htmlEscapesEveryInterpolatedString() {
        let name = "<script>alert('x')</script> & \"q\""
        let fragment: HTML = "<p title=\"\(name)\">\(name)</p>"
        #expect(
            fragment.text
                == "<p title=\"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;\">"
                + "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;</p>")
        let trusted: HTML = "<b>\(HTML(trusted: "<i>ok</i>"))</b>"
        #expect(trusted.text == "<b><i>ok</i></b>")
    }

    @Test(arguments: [
        (0, "0\u{00A0}B", "0\u{00A0}Б"),
        (1023, "1023\u{00A0}B", "1023\u{00A0}Б"),
        (1024, "1.0\u{00A0}KiB", "1,0\u{00A0}КиБ"),
        (1536, "1.5\u{00A0}KiB", "1,5\u{00A0}КиБ"),
        (150 * 1024 * 1024, "150\u{00A0}MiB", "150\u{00A0}МиБ"),
        (5 * 1024 * 1024 * 1024 * 1024 * 1024, "5120\u{00A0}TiB", "5120\u{00A0}ТиБ"),
    ] as [(Int64, String, String)])
    func sizesReadLikeSizes(bytes: Int64, english: String, russian: String) {
        #expect(WebPage.humanSize(bytes, .english) == english)
        #expect(WebPage.humanSize(bytes, .russian) == russian)
    }

    @Test func exactSizesGroupTheirDigits() {
        #expect(WebPage.grouped(1_048_576, .english) == "1,048,576")
        #expect(WebPage.grouped(1_048_576, .russian) == "1\u{202F}048\u{202F}576")
        #expect(WebPage.grouped(999, .english) == "999")
    }

    @Test(arguments: [
        ("image/png", PreviewKind.image), ("image/svg+xml", .image), ("image/tiff", .none), ("video/mp4", .video),
        ("audio/mpeg", .audio), ("application/pdf", .pdf), ("text/plain; charset=utf-8", .text),
        ("application/json", .text), ("application/zip", .none), ("application/octet-stream", .none),
    ])
    func previewsFollowTheType(type: String, kind: PreviewKind) {
        #expect(PreviewKind(contentType: type) == kind)
    }

    @Test(arguments: [
        ("https://x.org/s/AbC/%D0%9E%D1%82%D1%87%D1%91%D1%82%201.pdf", "https://x.org/s/AbC/Отчёт 1.pdf"),
        ("http://h/i/a%3Fb%23c%2Fd%25e%26.txt", "http://h/i/a%3Fb%23c%2Fd%e%26.txt"),
        ("http://h/i/%F0%9F%98%80%27%22", "http://h/i/😀'\""),
        ("http://h/i/%D0.txt", "http://h/i/%D0.txt"),
        ("http://h/i/%ZZ%D0%9E", "http://h/i/%ZZ%D0%9E"),
        ("http://h/i/plain.txt", "http://h/i/plain.txt"),
    ])
    func linksReadDecodedLikeTheScriptsDecodeURI(url: String, shown: String) {
        #expect(WebPage.readable(url) == shown)
    }

    @Test func everyLanguageHasEveryScriptText() {
        let keys = Set(WebStrings.english.script.keys)
        for language in Language.allCases {
            #expect(Set(WebStrings.of(language).script.keys) == keys, "\(language)")
        }
    }
}
