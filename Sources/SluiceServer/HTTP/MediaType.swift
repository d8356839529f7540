/// Maps file names to `Content-Type` values by extension.
///
/// The extension is the text after the last `.` of the last path component, compared
/// ASCII-case-insensitively. A name whose only dot is its first character (`.bashrc`), a name
/// ending in `.`, a name without a dot and any extension not in the table all map to
/// `application/octet-stream`. Textual types carry `; charset=utf-8`.
enum MediaType {
    /// The fallback for unknown content.
    static let octetStream = "application/octet-stream"

    /// The `Content-Type` for `name`, e.g. `report.PDF` → `application/pdf`.
    static func forFilename(_ name: String) -> String {
        guard let ext = fileExtension(name) else { return octetStream }
        return types[ext] ?? octetStream
    }

    /// The ASCII-lowercased extension of the last path component of `name`, or nil when it has none.
    static func fileExtension(_ name: String) -> String? {
        let base = name.split(separator: "/", omittingEmptySubsequences: false).last ?? Substring(name)
        guard let dot = base.lastIndex(of: "."), dot != base.startIndex else { return nil }
        let ext = base[base.index(after: dot)...]
        guard !ext.isEmpty else { return nil }
        return String(decoding: ext.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }, as: UTF8.self)
    }

    /// Extension (lowercase, no dot) → `Content-Type`.
    static let types: [String: String] = [
        // Text
        "txt": "text/plain; charset=utf-8",
        "log": "text/plain; charset=utf-8",
        "html": "text/html; charset=utf-8",
        "htm": "text/html; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
        "mjs": "text/javascript; charset=utf-8",
        "json": "application/json",
        "xml": "application/xml",
        "csv": "text/csv; charset=utf-8",
        "md": "text/markdown; charset=utf-8",
        "markdown": "text/markdown; charset=utf-8",
        "yaml": "application/yaml",
        "yml": "application/yaml",
        "toml": "application/toml",
        "ics": "text/calendar; charset=utf-8",
        "vtt": "text/vtt; charset=utf-8",
        "srt": "application/x-subrip",
        // Images
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "gif": "image/gif",
        "webp": "image/webp",
        "avif": "image/avif",
        "svg": "image/svg+xml",
        "ico": "image/x-icon",
        "bmp": "image/bmp",
        "tif": "image/tiff",
        "tiff": "image/tiff",
        "heic": "image/heic",
        "heif": "image/heif",
        "jxl": "image/jxl",
        // Video
        "mp4": "video/mp4",
        "m4v": "video/x-m4v",
        "mkv": "video/x-matroska",
        "webm": "video/webm",
        "mov": "video/quicktime",
        "avi": "video/x-msvideo",
        "mpeg": "video/mpeg",
        "mpg": "video/mpeg",
        "ogv": "video/ogg",
        "3gp": "video/3gpp",
        // Audio
        "mp3": "audio/mpeg",
        "m4a": "audio/mp4",
        "aac": "audio/aac",
        "wav": "audio/wav",
        "flac": "audio/flac",
        "ogg": "audio/ogg",
        "oga": "audio/ogg",
        "opus": "audio/ogg",
        "weba": "audio/webm",
        "mid": "audio/midi",
        "midi": "audio/midi",
        // Documents
        "pdf": "application/pdf",
        "doc": "application/msword",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls": "application/vnd.ms-excel",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt": "application/vnd.ms-powerpoint",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt": "application/vnd.oasis.opendocument.text",
        "ods": "application/vnd.oasis.opendocument.spreadsheet",
        "odp": "application/vnd.oasis.opendocument.presentation",
        "epub": "application/epub+zip",
        "rtf": "application/rtf",
        // Archives and packages
        "zip": "application/zip",
        "gz": "application/gzip",
        "tgz": "application/gzip",
        "tar": "application/x-tar",
        "bz2": "application/x-bzip2",
        "xz": "application/x-xz",
        "zst": "application/zstd",
        "7z": "application/x-7z-compressed",
        "rar": "application/vnd.rar",
        "iso": "application/x-iso9660-image",
        "dmg": "application/x-apple-diskimage",
        "exe": "application/vnd.microsoft.portable-executable",
        "msi": "application/x-msi",
        "deb": "application/vnd.debian.binary-package",
        "rpm": "application/x-rpm",
        "apk": "application/vnd.android.package-archive",
        "jar": "application/java-archive",
        "wasm": "application/wasm",
        "torrent": "application/x-bittorrent",
        // Fonts
        "ttf": "font/ttf",
        "otf": "font/otf",
        "woff": "font/woff",
        "woff2": "font/woff2",
    ]
}
