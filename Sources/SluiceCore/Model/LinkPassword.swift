import Crypto
import CryptoExtras
import Foundation
import NIOPosix

/// The optional password of a link, kept only as a salted scrypt hash.
///
/// Hashing takes tens of milliseconds of CPU and 16 MiB on purpose (it makes guessing slow);
/// it runs on a thread of its own, one hash at a time: never on a thread that serves requests,
/// never on NIO's blocking pool (a burst of password checks would hold up SQLite and file I/O,
/// which share it), using one core and 16 MiB at most however many checks wait.
public enum LinkPassword {
    /// scrypt cost (N), block size (r) and parallelism (p): the interactive-login parameters.
    static let cost = 1 << 14
    static let blockSize = 8
    static let parallelism = 1
    static let saltLength = 16
    static let keyLength = 32
    /// Longest password accepted, in bytes.
    public static let maxLength = 1024
    private static let scheme = "scrypt"
    /// The one thread every hash runs on; started once, for the life of the process.
    private static let hashing: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    /// The stored form of `password`: `scrypt$N$r$p$SALT$KEY` (base64).
    public static func hash(_ password: [UInt8]) async throws -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<saltLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let key = try await derive(password, salt: salt, cost: cost, blockSize: blockSize, parallelism: parallelism)
        let fields = [scheme, String(cost), String(blockSize), String(parallelism)]
            + [Data(salt).base64EncodedString(), Data(key).base64EncodedString()]
        return fields.joined(separator: "$")
    }

    /// Whether `password` is the one `stored` (from ``hash(_:)``) was made of. A stored value of
    /// any other shape matches nothing.
    public static func verify(_ password: [UInt8], against stored: String) async -> Bool {
        let fields = stored.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 6, fields[0] == scheme,
            let cost = Int(fields[1]), let blockSize = Int(fields[2]), let parallelism = Int(fields[3]),
            // Never more work than a hash this version makes: a stored value cannot make us spin.
            cost == Self.cost, blockSize == Self.blockSize, parallelism == Self.parallelism,
            let salt = Data(base64Encoded: fields[4]), let expected = Data(base64Encoded: fields[5]),
            password.count <= maxLength,
            let key = try? await derive(password, salt: Array(salt), cost: cost, blockSize: blockSize, parallelism: parallelism)
        else { return false }
        return ConstantTime.equals(key, Array(expected))
    }

    private static func derive(
        _ password: [UInt8], salt: [UInt8], cost: Int, blockSize: Int, parallelism: Int
    ) async throws -> [UInt8] {
        try await hashing.runIfActive {
            let key = try KDF.Scrypt.deriveKey(
                from: password, salt: salt, outputByteCount: keyLength, rounds: cost, blockSize: blockSize,
                parallelism: parallelism)
            return key.withUnsafeBytes { Array($0) }
        }
    }
}
