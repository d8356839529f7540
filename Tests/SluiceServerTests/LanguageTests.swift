import Testing

@testable import SluiceServer

/// Choosing the pages' language from `Accept-Language` (RFC 9110 §12.5.4).
@Suite struct LanguageTests {
    @Test(arguments: [
        (nil, Language.en),
        ("", .en),
        ("ru", .ru),
        ("en", .en),
        ("RU", .ru),
        ("ru-RU", .ru),
        ("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", .ru),
        ("en-US,en;q=0.9,ru;q=0.8", .en),
        ("de, ru;q=0.5", .ru),
        ("de", .en),
        ("fr-CH, fr;q=0.9, de;q=0.7", .en),
        ("en;q=0.5, ru;q=0.8", .ru),
        ("ru;q=0.8, en;q=0.5", .ru),
        ("ru, en", .ru),
        ("en, ru", .en),
        ("ru;q=0.5, en;q=0.5", .ru),
        (" ru ; q=0.9 , de", .ru),
        ("ru;Q=0.9", .ru),
        ("*", .en),
        ("*;q=0.1, ru;q=0.5", .ru),
        ("*, ru;q=0.5", .en),
    ] as [(String?, Language)])
    func picksTheHighestWeightedLanguageWeSpeak(header: String?, expected: Language) {
        #expect(Language.preferred(by: header) == expected, "\(header ?? "nil")")
    }

    @Test(arguments: [
        ("ru;q=0", Language.en),
        ("ru;q=0.000, en;q=0.001", .en),
        ("ru;q=0, *", .en),
        ("en;q=0, ru;q=0.1", .ru),
    ])
    func weightZeroRulesALanguageOut(header: String, expected: Language) {
        #expect(Language.preferred(by: header) == expected, "\(header)")
    }

    @Test(arguments: [
        ("ru;q=abc, en;q=0.2", Language.en),
        ("ru;q=1.5, en;q=0.2", .en),
        ("ru;q=0.1234, en;q=0.2", .en),
        ("ru;q=, en;q=0.2", .en),
        ("r u, en;q=0.2", .en),
        ("ру, ru;q=0.2", .ru),
        (",,, ru", .ru),
        ("ru;q=1.000", .ru),
        ("ru;q=1.", .ru),
    ])
    func skipsMalformedEntries(header: String, expected: Language) {
        #expect(Language.preferred(by: header) == expected, "\(header)")
    }
}
