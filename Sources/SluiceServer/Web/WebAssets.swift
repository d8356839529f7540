import SluiceCore

/// One file the pages load from `/static/`, built into the binary. Its name carries the first
/// 12 hex digits of its SHA-256, so it can be cached for good: a new build that changes it
/// changes its name.
struct WebAsset: Sendable {
    /// `app.3f2a9c1b0d4e.js`.
    let name: String
    let contentType: String
    let body: String
    /// The quoted SHA-256 hex of `body`.
    let etag: String

    init(stem: String, extension ext: String, contentType: String, body: String) {
        var hash = ResumableSHA256()
        hash.update(bytes: Array(body.utf8))
        let hex = Hex.encode(hash.finalize())
        self.name = "\(stem).\(hex.prefix(12)).\(ext)"
        self.contentType = contentType
        self.body = body
        self.etag = "\"\(hex)\""
    }
}

/// The page's script, style sheet and icon, each hashed once, on first use.
enum WebAssets {
    static let script = WebAsset(
        stem: "app", extension: "js", contentType: "text/javascript; charset=utf-8", body: WebScript.source)
    static let style = WebAsset(stem: "app", extension: "css", contentType: "text/css; charset=utf-8", body: WebStyle.source)
    static let icon = WebAsset(stem: "icon", extension: "svg", contentType: "image/svg+xml", body: iconSource)

    /// The asset named `name`, if any.
    static func named(_ name: String) -> WebAsset? {
        [script, style, icon].first { $0.name == name }
    }

    /// A sluice gate over water, in the accent colour.
    static let iconSource = #"""
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#2563eb"/>\#
        <path d="M9 7v11M23 7v11M9 11h14" stroke="#fff" stroke-width="3" stroke-linecap="round"/>\#
        <path d="M5 23c3.5-2.5 7-2.5 11 0s7.5 2.5 11 0" fill="none" stroke="#fff" stroke-width="2.5" stroke-linecap="round"/></svg>

        """#
}
