import HTTPTypes
import Hummingbird
import NIOCore
import SluiceCore

/// `DELETE /{id}/{name}/{token}`: the delete link. A wrong token, or a file that is already
/// gone, answers 404 and changes nothing.
struct DeleteRoutes: Sendable {
    let metadata: any MetadataStore
    let clock: any WallClock
    let removal: Removal

    func register(on router: Router<some RequestContext>) {
        router.delete("/:id/:name/:token") { request, context in
            try await delete(id: context.parameters.get("id"), token: context.parameters.get("token"))
            return Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "deleted\n")))
        }
    }

    func delete(id rawID: String?, token rawToken: String?) async throws {
        guard let id = rawID.flatMap(FileID.init), let rawToken,
            let record = try await metadata.find(id),
            DeleteToken(rawValue: rawToken).matches(hash: record.deleteTokenHash),
            record.unavailability(at: clock.now) == nil,
            try await metadata.markDeleted(id)
        else {
            throw SluiceError.notFound("not found")
        }
        await removal.removeNow(id)
    }
}
