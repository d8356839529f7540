import SluiceCore
import Testing

/// Link passwords are stored as salted scrypt hashes and checked against them.
@Suite struct LinkPasswordTests {
    @Test func aHashVerifiesOnlyItsPassword() async throws {
        let password = Array("correct horse".utf8)
        let stored = try await LinkPassword.hash(password)
        #expect(stored.hasPrefix("scrypt$16384$8$1$"))
        #expect(await LinkPassword.verify(password, against: stored))
        #expect(!(await LinkPassword.verify(Array("correct hors".utf8), against: stored)))
        #expect(!(await LinkPassword.verify([], against: stored)))
        // Salted: the same password never hashes the same twice.
        #expect(try await LinkPassword.hash(password) != stored)
    }

    @Test func aStoredValueOfAnyOtherShapeMatchesNothing() async throws {
        let stored = try await LinkPassword.hash(Array("pw".utf8))
        let fields = stored.split(separator: "$").map(String.init)
        let altered = [
            "", "scrypt", "plain$pw", stored + "$", "bcrypt$" + fields.dropFirst().joined(separator: "$"),
            // More work than this version's hashes ask for is refused, not done.
            (["scrypt", "1048576"] + fields.dropFirst(2)).joined(separator: "$"),
            (fields.dropLast() + ["not base64!"]).joined(separator: "$"),
        ]
        for value in altered { #expect(!(await LinkPassword.verify(Array("pw".utf8), against: value)), "\(value)") }
    }
}
