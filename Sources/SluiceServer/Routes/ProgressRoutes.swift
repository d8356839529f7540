import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import SluiceCore

/// `GET /progress/{KEY}`: a WebSocket that streams an upload's progress as JSON text messages
/// (API.md "Progress over WebSocket"), at most ``messageInterval`` apart, always ending with the
/// final state and a normal close.
struct ProgressRoutes: Sendable {
    let progress: any ProgressPublisher
    let uploads: ResumableUploads
    /// A watcher of a key that no upload has used by then is closed.
    let unusedKeyTimeout: Duration
    /// Watchers get at most about 10 messages a second; in between only the newest is kept.
    static let messageInterval = Duration.milliseconds(100)

    /// The WebSocket upgrade, on the router that sees upgrade requests.
    func register(onWebSocket router: Router<BasicWebSocketRequestContext>) {
        router.ws(
            "/progress/:key",
            shouldUpgrade: { _, context in
                try Self.validKey(context.parameters.get("key"))
                return .upgrade([:])
            },
            onUpgrade: { inbound, outbound, context in
                let key = try Self.validKey(context.requestContext.parameters.get("key"))
                try await watch(await hubKey(for: key), inbound: inbound, outbound: outbound)
            })
    }

    /// The same path without an upgrade: a malformed key is `400`, anything else `426`.
    func register(on router: Router<some RequestContext>) {
        router.get("/progress/:key") { _, context in
            try Self.validKey(context.parameters.get("key"))
            return Response(
                status: .upgradeRequired, headers: [.upgrade: "websocket", .contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: .init(string: "this is a WebSocket\n")))
        }
    }

    @discardableResult
    static func validKey(_ key: String?) throws -> String {
        guard let key, UploadLimitsParser.isValidProgressKey(key) else {
            throw SluiceError.badRequest("a progress key is 8-128 characters of A-Z a-z 0-9 _ -")
        }
        return key
    }

    /// The hub key a watcher's key stands for: a tus upload id (checked against its token)
    /// reaches that upload's progress; any other key is taken as it is.
    private func hubKey(for key: String) async -> String {
        guard let id = ResumableUploadID(key) else { return key }
        do {
            _ = try await uploads.find(id)
            return id.progressKey
        } catch SluiceError.gone {
            progress.publish(id.progressKey, ProgressUpdate(received: 0, total: nil, state: .failed, error: "expired"))
            return id.progressKey
        } catch {
            return key
        }
    }

    /// Sends `key`'s updates until the final one, the client leaves, or the key stays unused
    /// for ``unusedKeyTimeout``.
    private func watch(_ key: String, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let updates = progress.watch(key)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await update in updates {
                    try await outbound.write(.text(try JSONResponse.encode(update)))
                    if update.isFinal { return }
                    try await Task.sleep(for: Self.messageInterval)
                }
            }
            group.addTask {
                // A client that closes (or sends anything) needs no more updates.
                for try await _ in inbound {}
            }
            group.addTask {
                try await Task.sleep(for: unusedKeyTimeout)
                while progress.isKnown(key) { try await Task.sleep(for: unusedKeyTimeout) }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
