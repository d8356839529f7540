import AsyncHTTPClient
import Foundation
import NIOHTTP1

/// What `?info=1` says about a link: the upload's JSON object plus type, creation time and
/// downloads left (no delete link); fields the client does not know are ignored.
public struct LinkInfo: Sendable, Decodable, Equatable {
    public let name: String
    public let size: Int64
    public let type: String?
    public let sha256: String?
    public let createdAt: String?
    public let expiresAt: String?
    public let downloadsLeft: Int?

    /// The lines `sluice info` prints.
    public var text: String {
        [
            "name: \(name)",
            "size: \(size) bytes (\(ProgressDisplay.bytes(size)))",
            "type: \(type ?? "unknown")",
            "sha256: \(sha256 ?? "unknown")",
            "created: \(createdAt ?? "unknown")",
            "expires: \(expiresAt ?? "never")",
            "downloads left: \(downloadsLeft.map(String.init) ?? "unlimited")",
        ].joined(separator: "\n")
    }
}

/// The requests on an existing link: its description (`?info=1`, which counts as no download)
/// and its deletion through the delete link.
public struct FileLinks: Sendable {
    let http = ClientHTTP()

    public init() {}

    /// The `?info=1` JSON of `link`, as the server sent it and decoded.
    public func info(_ link: String) async throws -> (json: String, info: LinkInfo) {
        let url = link + (link.contains("?") ? "&" : "?") + "info=1"
        let (response, body) = try await http.text(HTTPClientRequest(.GET, url, headers: [("Accept", "application/json")]))
        guard response.status == .ok else { throw ClientError.answer(Int(response.status.code), body: body, for: link) }
        guard let info = try? JSONDecoder().decode(LinkInfo.self, from: Data(body.utf8)) else {
            throw ClientError.failed("\(link) is not a Sluice link (its ?info=1 answer is not a file description)")
        }
        return (body, info)
    }

    /// `DELETE` on a delete link.
    public func delete(_ deleteLink: String) async throws {
        let (response, body) = try await http.text(HTTPClientRequest(.DELETE, deleteLink))
        guard response.status == .ok || response.status == .noContent else {
            throw ClientError.answer(Int(response.status.code), body: body, for: deleteLink)
        }
    }
}
