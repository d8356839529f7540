import Foundation
import SQLKit
import SluiceCore

/// Reads a `files` row back into a ``FileRecord``.
enum FileRow {
    static func decode(_ row: any SQLRow) throws -> FileRecord {
        let rawID = try row.decode(column: "id", as: String.self)
        guard let id = FileID(rawID) else { throw CorruptRow(column: "id", value: rawID) }
        let rawState = try row.decode(column: "state", as: String.self)
        guard let state = FileRecord.State(rawValue: rawState) else { throw CorruptRow(column: "state", value: rawState) }
        return FileRecord(
            id: id,
            name: try row.decode(column: "name", as: String.self),
            contentType: try row.decode(column: "content_type", as: String.self),
            state: state,
            size: try row.decode(column: "size", as: Int64.self),
            sha256: try row.decode(column: "sha256", as: String?.self),
            deleteTokenHash: try row.decode(column: "delete_token_hash", as: String.self),
            createdAt: Millis.date(try row.decode(column: "created_at", as: Int64.self)),
            completedAt: try row.decode(column: "completed_at", as: Int64?.self).map(Millis.date),
            expiresAt: try row.decode(column: "expires_at", as: Int64?.self).map(Millis.date),
            maxDownloads: try row.decode(column: "max_downloads", as: Int?.self),
            downloads: try row.decode(column: "downloads", as: Int.self),
            activeDownloads: try row.decode(column: "active_downloads", as: Int.self),
            resumable: try decodeResumable(row),
            passwordHash: try row.decode(column: "password_hash", as: String?.self)
        )
    }

    private static func decodeResumable(_ row: any SQLRow) throws -> ResumableState? {
        guard try row.decode(column: "resumable", as: Int.self) != 0 else { return nil }
        let digestText = try row.decode(column: "digest_state", as: String?.self) ?? ""
        guard let digestState = Hex.decode(digestText) else { throw CorruptRow(column: "digest_state", value: digestText) }
        return ResumableState(
            length: try row.decode(column: "upload_length", as: Int64?.self),
            metadata: try row.decode(column: "upload_metadata", as: String?.self) ?? "",
            maxDays: try row.decode(column: "max_days", as: Double?.self),
            digestState: digestState,
            blobState: try row.decode(column: "blob_state", as: String?.self)
        )
    }

    /// A row whose content no version of Sluice writes.
    struct CorruptRow: Error, CustomStringConvertible {
        let column: String
        let value: String
        var description: String { "corrupt value in column \(column): \(value)" }
    }
}
