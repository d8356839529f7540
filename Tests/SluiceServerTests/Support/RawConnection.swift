import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// What a ``RawConnection`` received, shared with its reading task.
private final class ReceivedBytes: Sendable {
    let state = Mutex<(bytes: [UInt8], closed: Bool)>(([], false))
}

/// A plain TCP connection for what an HTTP client library won't do: send half a body, dribble
/// headers, or read what the server answers before the request is complete.
final class RawConnection: Sendable {
    private let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    private let received = ReceivedBytes()
    private let reader: Task<Void, Never>

    init(port: Int) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        self.channel = channel
        let received = self.received
        reader = Task {
            do {
                for try await chunk in channel.inbound {
                    received.state.withLock { $0.bytes += Array(buffer: chunk) }
                }
            } catch {}
            received.state.withLock { $0.closed = true }
        }
    }

    func send(_ text: String) async throws { try await channel.outbound.write(ByteBuffer(string: text)) }
    func send(_ bytes: [UInt8]) async throws { try await channel.outbound.write(ByteBuffer(bytes: bytes)) }

    /// What the server sent so far, and whether it closed the connection.
    var snapshot: (text: String, closed: Bool) {
        received.state.withLock { (String(decoding: $0.bytes, as: UTF8.self), $0.closed) }
    }

    /// Waits until the server closes the connection or `timeout` passes.
    func waitUntilClosed(timeout: Duration) async throws -> (text: String, closed: Bool) {
        try await wait(timeout: timeout) { $0.closed }
    }

    /// Waits until `marker` appears in what the server sent, or `timeout` passes.
    func read(until marker: String, timeout: Duration = .seconds(10)) async throws -> String {
        try await wait(timeout: timeout) { $0.text.contains(marker) || $0.closed }.text
    }

    private func wait(
        timeout: Duration, until done: ((text: String, closed: Bool)) -> Bool
    ) async throws -> (text: String, closed: Bool) {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let current = snapshot
            if done(current) { return current }
            try await Task.sleep(for: .milliseconds(20))
        }
        return snapshot
    }

    func close() async {
        try? await channel.channel.close()
        reader.cancel()
    }
}
