import Crypto

/// The secret of a file's delete link: 128 random bits, URL-safe, case-sensitive.
///
/// Only its SHA-256 is stored; ``matches(hash:)`` compares in constant time.
public struct DeleteToken: Sendable {
    /// The token as it appears in the delete link.
    public let rawValue: String

    /// A new random token.
    public static func random() -> DeleteToken { DeleteToken(rawValue: RandomToken.make()) }

    /// Accepts any text a client presents; a malformed token simply never matches.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The hex SHA-256 kept in the metadata store instead of the token.
    public var hash: String { Hex.encode(SHA256.hash(data: Array(rawValue.utf8))) }

    /// Whether this token hashes to `storedHash`, compared without an early exit.
    public func matches(hash storedHash: String) -> Bool {
        ConstantTime.equals(Array(hash.utf8), Array(storedHash.utf8))
    }
}

/// Lowercase hexadecimal text of bytes.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var output: [UInt8] = []
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes of hexadecimal `text` (either case); `nil` when it is not hexadecimal.
    public static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count / 2)
        for index in stride(from: 0, to: characters.count, by: 2) {
            guard let high = digitValue(characters[index]), let low = digitValue(characters[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    /// The value of one hexadecimal digit (either case); `nil` for any other byte.
    public static func digitValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
