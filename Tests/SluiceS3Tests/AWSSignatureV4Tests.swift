import Foundation
import NIOCore
import Testing

@testable import SluiceS3

/// A request from a published SigV4 example and the signature AWS gives for it.
struct SigningVector: Sendable, CustomTestStringConvertible {
    var name: String
    var method = "GET"
    var path = "/"
    var query: [SigningField] = []
    var headers: [SigningField]
    var payloadHash = AWSSignatureV4.emptyPayloadHash
    var sessionToken: String?
    var expectedSignature: String

    var testDescription: String { name }
}

struct SigningField: Sendable {
    var name: String
    var value: String
    init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

extension SigningVector {
    /// From the AWS SigV4 test suite (aws-sig-v4-test-suite): AKIDEXAMPLE, us-east-1, service
    /// "service", 20150830T123600Z. Only vectors that apply to S3 are used: the suite's
    /// path-normalizing ones (get-relative-*, get-slash-*) do not, as S3 keeps `.`, `..` and `//`
    /// in keys. The suite's generic rule of encoding the (already encoded) path a second time
    /// makes no difference here, because this signer takes decoded paths and none of these
    /// contains a `%`.
    static let suite: [SigningVector] = [
        SigningVector(
            name: "get-vanilla", headers: [SigningField("Host", "example.amazonaws.com")],
            expectedSignature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        SigningVector(
            name: "get-vanilla-query-order-key-case",
            query: [SigningField("Param2", "value2"), SigningField("Param1", "value1")],
            headers: [SigningField("Host", "example.amazonaws.com")],
            expectedSignature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        SigningVector(
            name: "get-vanilla-utf8-query", query: [SigningField("ሴ", "bar")],
            headers: [SigningField("Host", "example.amazonaws.com")],
            expectedSignature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
        SigningVector(
            name: "get-vanilla-empty-query-key", query: [SigningField("Param1", "value1")],
            headers: [SigningField("Host", "example.amazonaws.com")],
            expectedSignature: "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"),
        SigningVector(
            name: "get-vanilla-query-unreserved",
            query: [SigningField(unreserved, unreserved)],
            headers: [SigningField("Host", "example.amazonaws.com")],
            expectedSignature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"),
        SigningVector(
            name: "get-unreserved", path: "/" + unreserved,
            headers: [SigningField("Host", "example.amazonaws.com")],
            expectedSignature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
        SigningVector(
            name: "get-utf8", path: "/ሴ", headers: [SigningField("Host", "example.amazonaws.com")],
            expectedSignature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
        SigningVector(
            name: "get-space-unnormalized", path: "/example space/",
            headers: [SigningField("Host", "example.amazonaws.com")],
            expectedSignature: "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"),
        SigningVector(
            name: "get-header-value-trim",
            headers: [
                SigningField("Host", "example.amazonaws.com"), SigningField("My-Header1", " value1 "),
                SigningField("My-Header2", " \"a   b   c\" "),
            ],
            expectedSignature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
        SigningVector(
            name: "post-x-www-form-urlencoded", method: "POST",
            headers: [
                SigningField("Content-Type", "application/x-www-form-urlencoded"),
                SigningField("Host", "example.amazonaws.com"),
            ],
            payloadHash: AWSSignatureV4.payloadHash(of: ByteBuffer(string: "Param1=value1")),
            expectedSignature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
        SigningVector(
            name: "get-vanilla-with-session-token", headers: [SigningField("Host", "example.amazonaws.com")],
            sessionToken: "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
            expectedSignature: "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"),
    ]

    static let unreserved = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

    /// From the S3 API reference, "Signature Calculations for the Authorization Header":
    /// AKIAIOSFODNN7EXAMPLE, us-east-1, s3, 20130524T000000Z, bucket examplebucket.
    static let s3Documentation: [SigningVector] = [
        SigningVector(
            name: "GET Object with Range", path: "/test.txt",
            headers: [
                SigningField("Host", "examplebucket.s3.amazonaws.com"), SigningField("Range", "bytes=0-9"),
                SigningField("x-amz-content-sha256", AWSSignatureV4.emptyPayloadHash),
            ],
            expectedSignature: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
        SigningVector(
            name: "PUT Object", method: "PUT", path: "/test$file.text",
            headers: [
                SigningField("Host", "examplebucket.s3.amazonaws.com"),
                SigningField("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                SigningField("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                SigningField("x-amz-content-sha256", welcomeHash),
            ],
            payloadHash: welcomeHash,
            expectedSignature: "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
        SigningVector(
            name: "GET Bucket lifecycle", query: [SigningField("lifecycle", "")],
            headers: [
                SigningField("Host", "examplebucket.s3.amazonaws.com"),
                SigningField("x-amz-content-sha256", AWSSignatureV4.emptyPayloadHash),
            ],
            expectedSignature: "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
        SigningVector(
            name: "GET Bucket (list objects)",
            query: [SigningField("max-keys", "2"), SigningField("prefix", "J")],
            headers: [
                SigningField("Host", "examplebucket.s3.amazonaws.com"),
                SigningField("x-amz-content-sha256", AWSSignatureV4.emptyPayloadHash),
            ],
            expectedSignature: "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
    ]

    /// SHA-256 of "Welcome to Amazon S3.", the PUT example's body.
    static let welcomeHash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"

    func sign(with signer: AWSSignatureV4, at date: Date) -> AWSSignatureV4.Signature {
        var signer = signer
        signer.credentials.sessionToken = sessionToken
        return signer.sign(
            method: method, path: path, query: query.map { ($0.name, $0.value) },
            headers: headers.map { ($0.name, $0.value) }, payloadHash: payloadHash, date: date)
    }
}

@Suite struct AWSSignatureV4Tests {
    static let suiteSigner = AWSSignatureV4(
        credentials: S3Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "service")
    /// 20150830T123600Z
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)

    static let s3Signer = AWSSignatureV4(
        credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1")
    /// 20130524T000000Z
    static let s3Date = Date(timeIntervalSince1970: 1_369_353_600)

    @Test("SigV4 test suite", arguments: SigningVector.suite)
    func testSuiteVector(_ vector: SigningVector) {
        let signature = vector.sign(with: Self.suiteSigner, at: Self.suiteDate)
        #expect(signature.signature == vector.expectedSignature)
        #expect(signature.authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders="))
    }

    @Test("S3 documentation examples", arguments: SigningVector.s3Documentation)
    func s3DocumentationExample(_ vector: SigningVector) {
        let signature = vector.sign(with: Self.s3Signer, at: Self.s3Date)
        #expect(signature.signature == vector.expectedSignature)
    }

    @Test func getVanillaIntermediateStrings() throws {
        let vector = try #require(SigningVector.suite.first { $0.name == "get-vanilla" })
        let signature = vector.sign(with: Self.suiteSigner, at: Self.suiteDate)
        #expect(signature.canonicalRequest == """
            GET
            /

            host:example.amazonaws.com
            x-amz-date:20150830T123600Z

            host;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(signature.stringToSign == """
            AWS4-HMAC-SHA256
            20150830T123600Z
            20150830/us-east-1/service/aws4_request
            bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63
            """)
        #expect(signature.authorization == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(signature.headersToAdd.map(\.name) == ["Authorization", "x-amz-date"])
    }

    @Test func putObjectExampleIntermediateStrings() throws {
        let vector = try #require(SigningVector.s3Documentation.first { $0.name == "PUT Object" })
        let signature = vector.sign(with: Self.s3Signer, at: Self.s3Date)
        #expect(signature.canonicalRequest.hasPrefix("PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n"))
        #expect(signature.signedHeaders == "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class")
        #expect(signature.stringToSign.hasSuffix("\n9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d"))
        #expect(AWSSignatureV4.payloadHash(of: ByteBuffer(string: "Welcome to Amazon S3.")) == SigningVector.welcomeHash)
    }

    @Test func sessionTokenIsSignedAndSent() {
        var signer = Self.suiteSigner
        signer.credentials.sessionToken = "token"
        let signature = signer.sign(
            method: "GET", path: "/", headers: [("host", "h"), ("X-Amz-Security-Token", "stale")],
            payloadHash: AWSSignatureV4.unsignedPayload, date: Self.suiteDate)
        #expect(signature.signedHeaders == "host;x-amz-date;x-amz-security-token")
        #expect(signature.canonicalRequest.contains("x-amz-security-token:token\n"))
        #expect(signature.canonicalRequest.hasSuffix("\nUNSIGNED-PAYLOAD"))
        #expect(signature.headersToAdd.contains { $0.name == "x-amz-security-token" && $0.value == "token" })
    }

    @Test func s3PathsAreEncodedOncePerSegment() {
        let signature = Self.s3Signer.sign(
            method: "GET", path: "/bucket/a b+c/%41/ü//.", query: [("prefix", "a/b c+"), ("list-type", "2")],
            headers: [("host", "h")], payloadHash: AWSSignatureV4.emptyPayloadHash, date: Self.s3Date)
        let lines = signature.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[1] == "/bucket/a%20b%2Bc/%2541/%C3%BC//.")
        #expect(lines[2] == "list-type=2&prefix=a%2Fb%20c%2B")
    }

    @Test func uriEncoding() {
        #expect(URIEncoding.encodeComponent("a b+c/d=e&f~g_h-i.j*k$l") == "a%20b%2Bc%2Fd%3De%26f~g_h-i.j%2Ak%24l")
        #expect(URIEncoding.encodePath("/dir/日本 語/x") == "/dir/%E6%97%A5%E6%9C%AC%20%E8%AA%9E/x")
    }
}
