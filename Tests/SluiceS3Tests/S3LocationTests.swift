import Testing

@testable import SluiceS3

@Suite struct S3LocationTests {
    @Test func selfHostedStoreDefaultsToPathStyle() throws {
        let location = try S3Location(parsing: "s3://sluice-blobs?endpoint=http://127.0.0.1:7480&region=us-east-1", environment: [:])
        #expect(location.bucket == "sluice-blobs")
        #expect(location.keyPrefix == "")
        #expect(location.endpoint == S3Endpoint(usesTLS: false, host: "127.0.0.1", port: 7480))
        #expect(location.usesPathStyle)
        #expect(location.target(forKey: "a b/c") == (host: "127.0.0.1:7480", path: "/sluice-blobs/a b/c"))
        #expect(location.target(forKey: nil) == (host: "127.0.0.1:7480", path: "/sluice-blobs"))
    }

    @Test func awsDefaultsToVirtualHostsAndTheEnvironmentsRegion() throws {
        let location = try S3Location(parsing: "s3://examplebucket/backups/daily", environment: ["AWS_REGION": "eu-west-1"])
        #expect(location.region == "eu-west-1")
        #expect(location.endpoint == S3Endpoint(usesTLS: true, host: "s3.eu-west-1.amazonaws.com"))
        #expect(!location.usesPathStyle)
        #expect(location.keyPrefix == "backups/daily/")
        #expect(location.target(forKey: "x") == (host: "examplebucket.s3.eu-west-1.amazonaws.com", path: "/backups/daily/x"))
        #expect(location.target(forKey: nil) == (host: "examplebucket.s3.eu-west-1.amazonaws.com", path: "/"))
    }

    @Test func regionDefaultsToUSEast1() throws {
        #expect(try S3Location(parsing: "s3://bucket", environment: [:]).region == "us-east-1")
        #expect(try S3Location(parsing: "s3://bucket/", environment: ["AWS_REGION": ""]).region == "us-east-1")
    }

    @Test func explicitParametersWin() throws {
        let location = try S3Location(
            parsing: "s3://my.bucket/p%20q/?endpoint=https%3A%2F%2Fminio.local%3A9000%2F&region=auto&path-style=false",
            environment: ["AWS_REGION": "eu-west-1"])
        #expect(location.region == "auto")
        #expect(location.keyPrefix == "p q/")
        #expect(location.endpoint == S3Endpoint(usesTLS: true, host: "minio.local", port: 9000))
        #expect(!location.usesPathStyle)
        #expect(location.target(forKey: "k") == (host: "my.bucket.minio.local:9000", path: "/p q/k"))
    }

    @Test func defaultPortsAreLeftOutOfTheHostHeader() throws {
        let location = try S3Location(parsing: "s3://bucket?endpoint=https://[::1]:443", environment: [:])
        #expect(location.endpoint.host == "[::1]")
        #expect(location.target(forKey: "k").host == "[::1]")
    }

    @Test func descriptionParsesBackToTheSameLocation() throws {
        let location = try S3Location(parsing: "s3://bucket/a b/?endpoint=http://[::1]:7480&path-style=false", environment: [:])
        #expect(try S3Location(parsing: location.description, environment: [:]) == location)
    }

    @Test(arguments: [
        ("http://bucket", "must start with s3://"),
        ("s3://", "no bucket name"),
        ("s3:///prefix", "no bucket name"),
        ("s3://Bucket", "bucket name"),
        ("s3://ab", "bucket name"),
        ("s3://bucket-", "bucket name"),
        ("s3://bucket?endpoint=127.0.0.1:7480", "must start with http:// or https://"),
        ("s3://bucket?endpoint=http://host:0", "invalid port"),
        ("s3://bucket?endpoint=http://host:port", "invalid port"),
        ("s3://bucket?endpoint=http://host/path", "without path"),
        ("s3://bucket?endpoint=http://", "no host"),
        ("s3://bucket?endpoint=http://[::1", "unclosed IPv6"),
        ("s3://bucket?path-style=yes", "path-style must be true or false"),
        ("s3://bucket?pathstyle=true", "unknown parameter 'pathstyle'"),
        ("s3://bucket?region=us-east-1&region=eu-west-1", "given twice"),
        ("s3://bucket?region", "must be name=value"),
        ("s3://bucket?region=US_EAST", "region 'US_EAST'"),
        ("s3://bucket/%zz", "malformed %-escape"),
        ("s3://bucket#frag", "fragment"),
    ])
    func malformedLocationsAreRejectedWithAReason(url: String, reason: String) {
        #expect {
            try S3Location(parsing: url, environment: [:])
        } throws: { error in
            guard case S3Error.invalidLocation(let message) = error else { return false }
            return message.contains(reason)
        }
    }

    @Test func credentialsFromTheEnvironment() {
        let environment = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"]
        #expect(S3Credentials.fromEnvironment(environment) == S3Credentials(accessKeyID: "AKID", secretAccessKey: "secret"))
        #expect(S3Credentials.fromEnvironment(environment.merging(["AWS_SESSION_TOKEN": "token"]) { $1 })?.sessionToken == "token")
        #expect(S3Credentials.fromEnvironment(environment.merging(["AWS_SESSION_TOKEN": ""]) { $1 })?.sessionToken == nil)
        #expect(S3Credentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "AKID"]) == nil)
        #expect(S3Credentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "secret"]) == nil)
    }

    @Test func credentialsNeverPrintTheirSecrets() {
        let description = "\(S3Credentials(accessKeyID: "AKID", secretAccessKey: "hunter2", sessionToken: "s3cr3t-token"))"
        #expect(description.contains("AKID"))
        #expect(!description.contains("hunter2"))
        #expect(!description.contains("s3cr3t-token"))
    }
}
