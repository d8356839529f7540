import Testing

@testable import SluiceServer

@Suite("MediaType")
struct MediaTypeTests {
    @Test(arguments: [
        ("notes.txt", "text/plain; charset=utf-8"),
        ("index.html", "text/html; charset=utf-8"),
        ("index.htm", "text/html; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("mod.mjs", "text/javascript; charset=utf-8"),
        ("data.json", "application/json"),
        ("feed.xml", "application/xml"),
        ("table.csv", "text/csv; charset=utf-8"),
        ("README.md", "text/markdown; charset=utf-8"),
        ("a.png", "image/png"),
        ("a.jpg", "image/jpeg"),
        ("a.jpeg", "image/jpeg"),
        ("a.gif", "image/gif"),
        ("a.webp", "image/webp"),
        ("a.avif", "image/avif"),
        ("a.svg", "image/svg+xml"),
        ("favicon.ico", "image/x-icon"),
        ("a.bmp", "image/bmp"),
        ("a.tif", "image/tiff"),
        ("a.tiff", "image/tiff"),
        ("a.heic", "image/heic"),
        ("v.mp4", "video/mp4"),
        ("v.m4v", "video/x-m4v"),
        ("v.mkv", "video/x-matroska"),
        ("v.webm", "video/webm"),
        ("v.mov", "video/quicktime"),
        ("v.avi", "video/x-msvideo"),
        ("v.mpeg", "video/mpeg"),
        ("v.mpg", "video/mpeg"),
        ("v.ogv", "video/ogg"),
        ("s.mp3", "audio/mpeg"),
        ("s.m4a", "audio/mp4"),
        ("s.aac", "audio/aac"),
        ("s.wav", "audio/wav"),
        ("s.flac", "audio/flac"),
        ("s.ogg", "audio/ogg"),
        ("s.oga", "audio/ogg"),
        ("s.opus", "audio/ogg"),
        ("d.pdf", "application/pdf"),
        ("a.zip", "application/zip"),
        ("a.gz", "application/gzip"),
        ("a.tgz", "application/gzip"),
        ("a.tar", "application/x-tar"),
        ("a.bz2", "application/x-bzip2"),
        ("a.xz", "application/x-xz"),
        ("a.zst", "application/zstd"),
        ("a.7z", "application/x-7z-compressed"),
        ("a.rar", "application/vnd.rar"),
        ("a.iso", "application/x-iso9660-image"),
        ("a.dmg", "application/x-apple-diskimage"),
        ("setup.exe", "application/vnd.microsoft.portable-executable"),
        ("setup.msi", "application/x-msi"),
        ("p.deb", "application/vnd.debian.binary-package"),
        ("p.rpm", "application/x-rpm"),
        ("p.apk", "application/vnd.android.package-archive"),
        ("p.jar", "application/java-archive"),
        ("m.wasm", "application/wasm"),
        ("d.doc", "application/msword"),
        ("d.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("d.xls", "application/vnd.ms-excel"),
        ("d.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("d.ppt", "application/vnd.ms-powerpoint"),
        ("d.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        ("d.odt", "application/vnd.oasis.opendocument.text"),
        ("d.ods", "application/vnd.oasis.opendocument.spreadsheet"),
        ("d.odp", "application/vnd.oasis.opendocument.presentation"),
        ("b.epub", "application/epub+zip"),
        ("d.rtf", "application/rtf"),
        ("f.ttf", "font/ttf"),
        ("f.otf", "font/otf"),
        ("f.woff", "font/woff"),
        ("f.woff2", "font/woff2"),
    ])
    func knownExtensions(name: String, type: String) {
        #expect(MediaType.forFilename(name) == type)
    }

    @Test(arguments: [
        ("PHOTO.JPG", "image/jpeg"),
        ("Photo.JpEg", "image/jpeg"),
        ("archive.tar.gz", "application/gzip"),
        ("my.report.v2.PDF", "application/pdf"),
        ("..hidden.txt", "text/plain; charset=utf-8"),
        (".config.json", "application/json"),
        ("dir/sub/file.png", "image/png"),
        ("dir.d/README.md", "text/markdown; charset=utf-8"),
        ("привет.txt", "text/plain; charset=utf-8"),
    ])
    func extensionRules(name: String, type: String) {
        #expect(MediaType.forFilename(name) == type)
    }

    @Test(arguments: [
        "",
        ".",
        "..",
        "...",
        ".bashrc",
        ".txt",
        "dir/.png",
        "Makefile",
        "file.",
        "file.txt.",
        "file.unknownext",
        "file.exe ",
        "file. txt",
        "file.tx\u{0}t",
        "file.txt\u{0}",
        "dir.png/",
        "dir.png/Makefile",
        "file.\u{212A}B",
        "file.ТХТ",
        "😀",
    ])
    func unknownOrNoExtension(name: String) {
        #expect(MediaType.forFilename(name) == "application/octet-stream")
    }

    @Test func tableIsWellFormed() {
        #expect(MediaType.types.count >= 60)
        for (ext, type) in MediaType.types {
            #expect(!ext.isEmpty && ext == ext.lowercased() && !ext.contains("."))
            #expect(type.contains("/") && type.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F })
            if type.hasPrefix("text/") { #expect(type.hasSuffix("; charset=utf-8"), "\(ext)") }
        }
    }
}
