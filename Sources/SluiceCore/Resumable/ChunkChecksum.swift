import Crypto

/// The checksum a client sends with one chunk of a resumable upload (tus `Upload-Checksum`).
public struct ChunkChecksum: Sendable, Equatable {
    /// The algorithms the server can check.
    public enum Algorithm: String, Sendable, CaseIterable {
        case md5, sha1, sha256
    }

    public var algorithm: Algorithm
    /// The digest the chunk must have.
    public var expected: [UInt8]

    public init(algorithm: Algorithm, expected: [UInt8]) {
        self.algorithm = algorithm
        self.expected = expected
    }
}

/// Computes a ``ChunkChecksum``'s digest over a chunk as it streams by.
struct ChunkHasher {
    private enum Running {
        case md5(Insecure.MD5)
        case sha1(Insecure.SHA1)
        case sha256(SHA256)
    }

    private var running: Running
    private let expected: [UInt8]

    init(_ checksum: ChunkChecksum) {
        expected = checksum.expected
        switch checksum.algorithm {
        case .md5: running = .md5(Insecure.MD5())
        case .sha1: running = .sha1(Insecure.SHA1())
        case .sha256: running = .sha256(SHA256())
        }
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch running {
        case .md5(var hasher):
            hasher.update(bufferPointer: bytes)
            running = .md5(hasher)
        case .sha1(var hasher):
            hasher.update(bufferPointer: bytes)
            running = .sha1(hasher)
        case .sha256(var hasher):
            hasher.update(bufferPointer: bytes)
            running = .sha256(hasher)
        }
    }

    /// Whether the bytes seen so far have the expected digest.
    var matches: Bool {
        let actual: [UInt8] =
            switch running {
            case .md5(let hasher): Array(hasher.finalize())
            case .sha1(let hasher): Array(hasher.finalize())
            case .sha256(let hasher): Array(hasher.finalize())
            }
        return actual == expected
    }
}
