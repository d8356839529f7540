import Foundation
import SluiceCore

/// Renders the three HTML pages: the upload page (`GET /` for browsers), a file's download page
/// (`GET /{id}/{name}?page=1`) and the page of a link that does not work. Every value from a
/// request or a record goes in through ``HTML`` interpolation, so it is escaped.
///
/// The pages carry no inline script or style (the Content-Security-Policy forbids both): the
/// script reads its texts from the `<script type="application/json" id="strings">` block and
/// what it needs to know from `data-` attributes.
enum WebPage {
    /// Where and how a page is rendered.
    struct Setting: Sendable {
        var language: Language
        /// The path of `BASE` (`/s` for `https://example.org/s`), empty when BASE is a bare host:
        /// the pages reach the server's own routes under it.
        var prefix: String
    }

    /// The upload page; `base` is `BASE`, for the command-line examples.
    static func upload(_ setting: Setting, base: String) -> String {
        let s = WebStrings.of(setting.language)
        let main: HTML = """
            <main class="upload-page">
            <h1>\(s.tagline)</h1>
            <p class="lead">\(s.uploadLead)</p>
            <form id="upload-form" action="\(setting.prefix)/" method="post" enctype="multipart/form-data">
            <label class="drop" id="drop-zone" for="file-input">
            <input id="file-input" type="file" name="file" multiple>
            <strong class="drop-title">\(s.dropTitle)</strong>
            <span class="drop-hint">\(s.dropOr) <span class="pick">\(s.chooseFiles)</span></span>
            </label>
            <fieldset class="options">
            <legend>\(s.limits)</legend>
            <label class="option"><span>\(s.maxDays)</span>
            <input id="max-days" type="number" min="0" max="3650" step="any" inputmode="decimal" placeholder="\(s.noLimit)"></label>
            <label class="option"><span>\(s.maxDownloads)</span>
            <input id="max-downloads" type="number" min="1" step="1" inputmode="numeric" placeholder="\(s.noLimit)"></label>
            <label class="option"><span>\(s.password)</span>
            <input id="password" type="password" maxlength="256" autocomplete="new-password" placeholder="\(s.noPassword)"></label>
            </fieldset>
            <noscript><p class="note">\(s.noScript)</p><button type="submit" class="button primary">\(s.uploadButton)</button></noscript>
            </form>
            <ul id="uploads" class="uploads" aria-live="polite"></ul>
            <details class="cli"><summary>\(s.commandLine)</summary>
            <pre>curl -T movie.mkv \(base)/
            curl -T notes.txt -H 'Max-Days: 7' -H 'Max-Downloads: 1' \(base)/
            curl \(base)/</pre></details>
            </main>
            """
        return document(setting, title: "Sluice · \(s.tagline)", page: "upload", query: "", main: main)
    }

    /// The download page of `record`, whose link is `link` (absolute, under `BASE`).
    static func file(_ record: FileRecord, link: String, _ setting: Setting) -> String {
        let s = WebStrings.of(setting.language)
        let inline = "\(setting.prefix)/\(record.id.rawValue)/\(PathSegment.encode(record.name))?inline=1"
        var facts: [HTML] = [
            fact(s.size, record.size < 1024 ? "\(humanSize(record.size, s))"
                : "\(humanSize(record.size, s)) <span class=\"muted\">(\(grouped(record.size, s))\u{00A0}\(s.units[0]))</span>"),
            fact(s.type, "<code>\(record.contentType)</code>"),
            fact(s.uploaded, time(record.completedAt ?? record.createdAt)),
        ]
        if let expiresAt = record.expiresAt { facts.append(fact(s.expires, time(expiresAt))) }
        if let left = record.downloadsLeft { facts.append(fact(s.downloadsLeft, "\(left)")) }
        if let sha256 = record.sha256 { facts.append(fact("SHA-256", "<code class=\"hash\">\(sha256)</code>")) }
        let limited = record.maxDownloads != nil
        let note: HTML = limited ? "<p class=\"note\">\(s.limitedNote)</p>" : ""
        let main: HTML = """
            <main class="file-page">
            <h1 class="file-name">\(record.name)</h1>
            <dl class="facts">\(facts)</dl>
            <p class="actions"><a class="button primary download" href="\(link)" download>\(s.download)</a>
            <input class="link-box" type="text" readonly value="\(readable(link))" data-copy="\(link)" aria-label="\(s.copyLink)">
            <button type="button" class="button copy" data-copy="\(link)">\(s.copyLink)</button></p>
            \(note)
            <section id="preview" class="preview" data-kind="\(PreviewKind(contentType: record.contentType).rawValue)" \
            data-src="\(inline)" data-size="\(record.size)" data-limited="\(limited ? "1" : "0")" aria-label="\(s.preview)"></section>
            </main>
            """
        return document(setting, title: "\(record.name) · Sluice", page: "file", query: "page=1&", main: main)
    }

    /// The page of a link that does not work, saying why when `reason` is known.
    static func notFound(_ reason: FileRecord.Unavailability?, _ setting: Setting) -> String {
        let s = WebStrings.of(setting.language)
        let text =
            switch reason {
            case .deleted: s.deleted
            case .expired: s.expired
            case .usedUp: s.usedUp
            case .notFound, nil: s.notFound
            }
        let main: HTML = """
            <main class="missing-page">
            <h1>\(s.notFoundTitle)</h1>
            <p class="lead">\(text)</p>
            <p><a class="button primary" href="\(setting.prefix)/">\(s.uploadAFile)</a></p>
            </main>
            """
        return document(setting, title: "\(s.notFoundTitle) · Sluice", page: "missing", query: "page=1&", main: main)
    }

    /// The frame around `main`. `query` is what the language links keep of the page's query.
    private static func document(_ setting: Setting, title: String, page: String, query: String, main: HTML) -> String {
        let prefix = setting.prefix
        let languages: [HTML] = Language.allCases.filter { $0 != setting.language }.map { language -> HTML in
            let code = language.rawValue
            return "<a href=\"?\(query)lang=\(code)\" hreflang=\"\(code)\" lang=\"\(code)\">\(WebStrings.of(language).languageName)</a>"
        }
        let html: HTML = """
            <!doctype html>
            <html lang="\(setting.language.rawValue)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="color-scheme" content="light dark">
            <title>\(title)</title>
            <link rel="icon" type="image/svg+xml" href="\(prefix)/static/\(WebAssets.icon.name)">
            <link rel="stylesheet" href="\(prefix)/static/\(WebAssets.style.name)">
            <script src="\(prefix)/static/\(WebAssets.script.name)" defer></script>
            <script type="application/json" id="strings">\(scriptStrings(setting.language))</script>
            </head>
            <body data-page="\(page)" data-base="\(prefix)">
            <header class="top">
            <a class="brand" href="\(prefix)/"><img src="\(prefix)/static/\(WebAssets.icon.name)" alt="" width="28" height="28">Sluice</a>
            <nav class="languages">\(languages)</nav></header>
            \(main)
            </body>
            </html>

            """
        return html.text
    }

    /// The script's texts as JSON that cannot end its `<script>` element (`<` is `\u003c`).
    private static func scriptStrings(_ language: Language) -> HTML {
        let s = WebStrings.of(language)
        var texts = s.script
        texts["units"] = s.units.joined(separator: " ")
        let json = (try? JSONResponse.encode(texts)) ?? "{}"
        return HTML(trusted: json.replacingOccurrences(of: "<", with: "\\u003c"))
    }

    /// `url` decoded for reading as the script's `readable` (JavaScript's `decodeURI`) decodes it:
    /// `/Отчёт 1.pdf` rather than `/%D0%9E…%201.pdf`, with escapes of `;/?:@&=+$,#` kept, so
    /// the text still names the same file; `url` itself when an escape is not valid UTF-8.
    static func readable(_ url: String) -> String {
        let bytes = Array(url.utf8)
        func escaped(_ at: Int) -> UInt8? {
            guard at + 2 < bytes.count, bytes[at] == UInt8(ascii: "%"),
                let high = hexValue(bytes[at + 1]), let low = hexValue(bytes[at + 2])
            else { return nil }
            return high << 4 | low
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "%") else {
                output.append(bytes[index])
                index += 1
                continue
            }
            guard let lead = escaped(index) else { return url }
            if lead < 0x80 {
                if Array(";/?:@&=+$,#".utf8).contains(lead) { output += bytes[index..<index + 3] } else { output.append(lead) }
                index += 3
                continue
            }
            let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0
            var sequence: [UInt8] = []
            for part in 0..<length {
                guard let byte = escaped(index + 3 * part) else { return url }
                sequence.append(byte)
            }
            guard length > 0, let character = String(bytes: sequence, encoding: .utf8), character.unicodeScalars.count == 1
            else { return url }
            output += sequence
            index += 3 * length
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func fact(_ term: String, _ value: HTML) -> HTML {
        "<div><dt>\(term)</dt><dd>\(value)</dd></div>"
    }

    /// A `<time>` in UTC; the script shows it in the reader's own time zone.
    private static func time(_ date: Date) -> HTML {
        let iso = date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
        let shown = iso.prefix(16).replacingOccurrences(of: "T", with: " ") + " UTC"
        return "<time datetime=\"\(iso)\">\(shown)</time>"
    }

    /// `bytes` in the largest unit of 1024 that keeps the number at least 1, with one decimal
    /// below 100 and a no-break space: `532 B`, `1.5 MiB`, `120 GiB`.
    static func humanSize(_ bytes: Int64, _ s: WebStrings) -> String {
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < s.units.count - 1 {
            value /= 1024
            unit += 1
        }
        guard unit > 0 else { return "\(bytes)\u{00A0}\(s.units[0])" }
        let number = value < 100 ? String(format: "%.1f", value) : String(format: "%.0f", value)
        return number.replacingOccurrences(of: ".", with: s.decimalSeparator) + "\u{00A0}" + s.units[unit]
    }

    /// `bytes` with its digits grouped by three: `1,048,576` (English), `1 048 576` (Russian).
    static func grouped(_ bytes: Int64, _ s: WebStrings) -> String {
        let digits = Array(String(bytes))
        var output = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { output += s.groupSeparator }
            output.append(digit)
        }
        return output
    }
}

/// How the download page previews a file, decided by its media type.
enum PreviewKind: String, Sendable {
    case image, video, audio, pdf, text, none

    init(contentType: String) {
        let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch type {
        case "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/svg+xml", "image/bmp", "image/x-icon":
            self = .image
        case "video/mp4", "video/webm", "video/ogg", "video/x-m4v", "video/quicktime":
            self = .video
        case "audio/mpeg", "audio/mp4", "audio/aac", "audio/wav", "audio/flac", "audio/ogg", "audio/webm":
            self = .audio
        case "application/pdf":
            self = .pdf
        case "application/json", "application/xml", "application/yaml", "application/toml", "application/x-subrip",
            "application/javascript":
            self = .text
        default:
            self = type.hasPrefix("text/") ? .text : .none
        }
    }
}

extension LinkBuilder {
    /// The path of `--public-url` (`/s` for `https://example.org/s`), or empty: where the
    /// server's own routes are, seen from a browser.
    var pathPrefix: String {
        guard let publicURL, let path = URLComponents(string: publicURL)?.percentEncodedPath else { return "" }
        return path.hasSuffix("/") ? String(path.dropLast()) : path
    }
}
