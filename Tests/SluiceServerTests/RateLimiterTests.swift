import HTTPTypes
import NIOCore
import Testing

@testable import SluiceServer

/// The token buckets behind `--rate-limit` and `--upload-rate-limit`, and how clients are told apart.
@Suite struct RateLimiterTests {
    @Test func aBurstOfTheLimitPassesThenTheBucketRefillsSteadily() {
        let limiter = RateLimiter(perMinute: 60)
        let start = ContinuousClock.now
        for _ in 0..<60 { #expect(limiter.take(for: "a", now: start) == nil) }
        #expect(limiter.take(for: "a", now: start) == 1)
        // Another client has its own bucket.
        #expect(limiter.take(for: "b", now: start) == nil)
        // One request a second comes back.
        #expect(limiter.take(for: "a", now: start + .milliseconds(1000)) == nil)
        #expect(limiter.take(for: "a", now: start + .milliseconds(1000)) == 1)
        #expect(limiter.take(for: "a", now: start + .seconds(61)) == nil)
    }

    @Test func retryAfterIsTheWaitForOneRequest() {
        let limiter = RateLimiter(perMinute: 2)
        let start = ContinuousClock.now
        #expect(limiter.take(for: "a", now: start) == nil)
        #expect(limiter.take(for: "a", now: start) == nil)
        #expect(limiter.take(for: "a", now: start) == 30)
        #expect(limiter.take(for: "a", now: start + .seconds(20)) == 10)
    }

    @Test func forgottenClientsKeepTheTableBounded() {
        let limiter = RateLimiter(perMinute: 1, maxClients: 100)
        let start = ContinuousClock.now
        for client in 0..<1000 { #expect(limiter.take(for: "c\(client)", now: start + .seconds(client * 61)) == nil) }
        #expect(limiter.take(for: "c999", now: start + .seconds(999 * 61)) == 60)
    }

    @Test func clientsAreTheirAddressAnIPv6NetworkOrTheIPv4OfAMappedAddress() throws {
        #expect(RateLimiter.clientKey(try SocketAddress(ipAddress: "192.0.2.7", port: 1)) == "192.0.2.7")
        let first = RateLimiter.clientKey(try SocketAddress(ipAddress: "2001:db8:1:2:aaaa::1", port: 1))
        let sameNetwork = RateLimiter.clientKey(try SocketAddress(ipAddress: "2001:db8:1:2:bbbb::9", port: 2))
        let otherNetwork = RateLimiter.clientKey(try SocketAddress(ipAddress: "2001:db8:1:3::1", port: 1))
        #expect(first == sameNetwork)
        #expect(first != otherNetwork)
        #expect(RateLimiter.clientKey(try SocketAddress(ipAddress: "::ffff:192.0.2.7", port: 1)) == "192.0.2.7")
        #expect(RateLimiter.clientKey(nil) == "unknown")
    }
}

/// Reading `Authorization` for upload credentials and link passwords.
@Suite struct PresentedCredentialsTests {
    func parse(_ value: String) -> PresentedCredentials? {
        PresentedCredentials([.authorization: value])
    }

    @Test func bearerAndBasicAreRead() {
        #expect(parse("Bearer abc") == .bearer(Array("abc".utf8)))
        #expect(parse("bEaReR   abc ") == .bearer(Array("abc".utf8)))
        #expect(parse("Basic dXNlcjpwYTpzcw==") == .basic(user: Array("user".utf8), password: Array("pa:ss".utf8)))
        #expect(parse("Basic OnB3") == .basic(user: [], password: Array("pw".utf8)))
    }

    @Test func anythingElsePresentsNothing() {
        for value in ["", "Bearer", "Bearer ", "Basic", "Basic !!!", "Basic dXNlcg==", "Digest abc", "abc",
                      "Bearer " + String(repeating: "a", count: 5000)] {
            #expect(parse(value) == nil, "\(value)")
        }
    }
}
