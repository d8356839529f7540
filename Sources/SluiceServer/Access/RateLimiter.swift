#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import SluiceCore
import Synchronization

/// Per-client token buckets: each client address may make `perMinute` requests a minute, in
/// bursts of up to `perMinute`. IPv6 clients are counted by their /64 network, which one
/// host usually holds whole.
///
/// Counts live in this process: instances behind one load balancer each count their own share.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    /// Requests a client may make a minute, and in one burst.
    let perMinute: Int
    /// Clients tracked at most; past that, the ones whose buckets have refilled are forgotten.
    private let maxClients: Int
    private let buckets = Mutex<[String: Bucket]>([:])

    init(perMinute: Int, maxClients: Int = 100_000) {
        precondition(perMinute > 0)
        self.perMinute = perMinute
        self.maxClients = maxClients
    }

    /// Takes one request of `client`'s allowance, or returns the whole seconds until one is free.
    func take(for client: String, now: ContinuousClock.Instant = .now) -> Int? {
        let capacity = Double(perMinute)
        let perSecond = capacity / 60
        return buckets.withLock { buckets in
            var bucket = buckets[client] ?? Bucket(tokens: capacity, updated: now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated).seconds * perSecond)
            bucket.updated = now
            defer {
                if buckets.count >= maxClients {
                    Self.forgetRefilled(&buckets, capacity: capacity, perSecond: perSecond, now: now, maxClients: maxClients)
                }
                buckets[client] = bucket
            }
            // (The small allowance keeps float noise from adding a whole second.)
            guard bucket.tokens >= 1 else { return max(1, Int(((1 - bucket.tokens) / perSecond - 1e-6).rounded(.up))) }
            bucket.tokens -= 1
            return nil
        }
    }

    /// Drops the clients whose buckets would be full by now: they behave as if never seen.
    private static func forgetRefilled(
        _ buckets: inout [String: Bucket], capacity: Double, perSecond: Double, now: ContinuousClock.Instant, maxClients: Int
    ) {
        let refill = Duration.seconds(capacity / perSecond)
        buckets = buckets.filter { now - $0.value.updated < refill }
        // Still full of active clients (a flood from many addresses): start over rather than grow.
        if buckets.count >= maxClients { buckets.removeAll() }
    }

    /// The key a client's requests are counted under.
    static func clientKey(_ address: SocketAddress?) -> String {
        guard let address else { return "unknown" }
        switch address {
        case .v6:
            guard let text = address.ipAddress, let bytes = ipv6Bytes(text) else { return address.ipAddress ?? "unknown" }
            // An IPv4 client of a dual-stack socket (::ffff:a.b.c.d) is counted by its IPv4 address.
            if bytes.prefix(10).allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
                return bytes.suffix(4).map(String.init).joined(separator: ".")
            }
            // The first 64 bits: the network a single host usually gets.
            return "v6:" + bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: ":")
        default:
            return address.ipAddress ?? "unknown"
        }
    }

    /// The 16 bytes of an IPv6 address in text form.
    private static func ipv6Bytes(_ text: String) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: 16)
        let converted = bytes.withUnsafeMutableBytes { inet_pton(AF_INET6, text, $0.baseAddress) }
        return converted == 1 ? bytes : nil
    }
}
