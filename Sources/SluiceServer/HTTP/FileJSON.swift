import Foundation
import SluiceCore

/// The JSON object of a file, as API.md spells it: upload answers carry `deleteUrl`, `?info=1`
/// carries `type`, `createdAt` and `downloadsLeft`. Absent limits are explicit `null`s.
struct FileJSON: Encodable {
    let record: FileRecord
    let url: String
    var deleteURL: String?
    var includeInfo = false

    enum Keys: String, CodingKey {
        case id, name, size, sha256, url, deleteUrl, expiresAt, maxDownloads, type, createdAt, downloadsLeft
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(record.id.rawValue, forKey: .id)
        try container.encode(record.name, forKey: .name)
        try container.encode(record.size, forKey: .size)
        try container.encode(record.sha256, forKey: .sha256)
        try container.encode(url, forKey: .url)
        if let deleteURL { try container.encode(deleteURL, forKey: .deleteUrl) }
        try container.encode(record.expiresAt.map(RFC3339.format), forKey: .expiresAt)
        try container.encode(record.maxDownloads, forKey: .maxDownloads)
        if includeInfo {
            try container.encode(record.contentType, forKey: .type)
            try container.encode(RFC3339.format(record.completedAt ?? record.createdAt), forKey: .createdAt)
            try container.encode(record.downloadsLeft, forKey: .downloadsLeft)
        }
    }
}

/// RFC 3339 timestamps in UTC with milliseconds.
enum RFC3339 {
    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }
}
