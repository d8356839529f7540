import Foundation
import NIOCore
import Testing

@testable import SluiceS3

/// Responses as Ceph RGW on this project's test machine sent them, and AWS's documented forms.
@Suite struct S3MessagesTests {
    func parse(_ text: String) throws -> S3XMLElement {
        try S3XML.parse(ByteBuffer(string: text))
    }

    /// FoundationXML crashes the process on some malformed documents; they must be refused
    /// before they get there (found by scripts/fuzz).
    @Test(arguments: [
        Array("<".utf8) + [0xFA, 0xFA] + Array("><Code>x</Code></Error>".utf8),
        Array("<?xml?><Error><Code>x</Code></Error>".utf8),
        Array("<Error><Code>x".utf8) + [0, 0] + Array("</Code></Error>".utf8),
        Array("<!DOCTYPE e [<!ENTITY x \"y\">]><Error><Code>&x;</Code></Error>".utf8),
        Array("<Error><?pi?><Code>x</Code></Error>".utf8),
        Array(#"<?xml version="1.0" enc="UTF-8><Error"<?Complete?><Code>x</Code></Error>"#.utf8),
        Array("<?xmlns?><Error><Code>x</Code></Error>".utf8),
    ])
    func aDocumentFoundationXMLCannotSurviveIsRefused(body: [UInt8]) {
        #expect(throws: S3Error.self) { try S3XML.parse(ByteBuffer(bytes: body)) }
    }

    @Test func rgwErrorDocument() throws {
        let root = try parse(
            #"<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message></Message><BucketName>sample-bucket-1</BucketName><RequestId>tx0000010af98fcae0bc140-006b0e373a-100c-default</RequestId><HostId>100c-default-default</HostId></Error>"#)
        #expect(S3Messages.errorDetails(root) == .init(code: "NoSuchKey", message: "", requestID: "tx0000010af98fcae0bc140-006b0e373a-100c-default"))
    }

    @Test func initiateMultipartUpload() throws {
        let root = try parse(
            #"<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>sample-bucket-2</Bucket><Key>big file+1.bin</Key><UploadId>2~eJYwyM_anYpdh1A8UTdd86eB_FdG7RJ</UploadId></InitiateMultipartUploadResult>"#)
        #expect(try S3Messages.uploadID(root) == "2~eJYwyM_anYpdh1A8UTdd86eB_FdG7RJ")
        #expect(throws: S3Error.self) { try S3Messages.uploadID(try parse("<InitiateMultipartUploadResult><UploadId/></InitiateMultipartUploadResult>")) }
    }

    @Test func rgwCompletionWithAnEmptyETag() throws {
        let root = try parse(
            #"<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>localhost/sample-bucket-2/big file+1.bin</Location><Bucket>sample-bucket-2</Bucket><Key>big file+1.bin</Key><ETag></ETag></CompleteMultipartUploadResult>"#)
        #expect(try S3Messages.completionETag(root) == nil)
    }

    @Test func completionWithAnETag() throws {
        let root = try parse(
            #"<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>localhost/b/k</Location><Bucket>b</Bucket><Key>k</Key><ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag></CompleteMultipartUploadResult>"#)
        #expect(try S3Messages.completionETag(root) == "\"3858f62230ac3c915f300c664312c11f-9\"")
    }

    @Test func errorInsideA200CompletionIsThrown() throws {
        // S3 sends whitespace while it assembles the parts, then the result, or an error.
        let root = try parse("""
                \n\n<?xml version="1.0" encoding="UTF-8"?>
            <Error>
            <Code>InternalError</Code>
            <Message>We encountered an internal error. Please try again.</Message>
            <RequestId>656c76696e6727732072657175657374</RequestId>
            <HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId>
            </Error>
            """)
        #expect {
            try S3Messages.completionETag(root)
        } throws: { error in
            guard case S3Error.service(200, "InternalError", let message, "656c76696e6727732072657175657374") = error else { return false }
            return message.hasPrefix("We encountered")
        }
    }

    @Test func rgwTruncatedListingPage() throws {
        let root = try parse(
            #"<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>sample-bucket-1</Name><Prefix>dir/</Prefix><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated><Contents><Key>dir/a.txt</Key><LastModified>2026-12-01T02:55:54.569Z</LastModified><ETag>&quot;644d25370f9ec4d2fc4b5d69dc6ae78d&quot;</ETag><Size>7</Size><StorageClass>STANDARD</StorageClass><Type>Normal</Type></Contents><Contents><Key>dir/b.txt</Key><LastModified>2026-12-01T02:55:54.588Z</LastModified><ETag>&quot;135bf26348041512fc6163dffb59066f&quot;</ETag><Size>7</Size><StorageClass>STANDARD</StorageClass><Type>Normal</Type></Contents><NextContinuationToken>dir/b.txt</NextContinuationToken><KeyCount>2</KeyCount></ListBucketResult>"#)
        let page = try S3Messages.objectListing(root, keyPrefix: "")
        #expect(page.objects == [S3ListedObject(key: "dir/a.txt", size: 7), S3ListedObject(key: "dir/b.txt", size: 7)])
        #expect(page.nextContinuationToken == "dir/b.txt")
        #expect(try S3Messages.objectListing(root, keyPrefix: "dir/").keys == ["a.txt", "b.txt"])
        #expect(throws: S3Error.self) { try S3Messages.objectListing(root, keyPrefix: "other/") }
    }

    @Test func rgwLastAndEmptyListingPages() throws {
        let empty = try parse(
            #"<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>sample-bucket-2</Name><Prefix>zzz</Prefix><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount></ListBucketResult>"#)
        #expect(try S3Messages.objectListing(empty, keyPrefix: "") == S3ObjectListing(objects: [], nextContinuationToken: nil))
        let truncatedWithoutToken = try parse("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>")
        #expect(throws: S3Error.self) { try S3Messages.objectListing(truncatedWithoutToken, keyPrefix: "") }
    }

    @Test func rgwMultipartUploadPages() throws {
        let firstPage = try parse(
            #"<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>sample-bucket-2</Bucket><NextKeyMarker>big file+1.bin</NextKeyMarker><NextUploadIdMarker>2~eJYwyM_anYpdh1A8UTdd86eB_FdG7RJ</NextUploadIdMarker><MaxUploads>1</MaxUploads><IsTruncated>true</IsTruncated><Upload><Key>big file+1.bin</Key><UploadId>2~eJYwyM_anYpdh1A8UTdd86eB_FdG7RJ</UploadId><Initiator><ID>sluice</ID><DisplayName>Sluice</DisplayName></Initiator><Owner><ID>sluice</ID><DisplayName>Sluice</DisplayName></Owner><StorageClass>STANDARD</StorageClass><Initiated>2026-12-01T02:56:11.417Z</Initiated></Upload></ListMultipartUploadsResult>"#)
        let page = try S3Messages.multipartUploads(firstPage, keyPrefix: "")
        #expect(page.uploads.map(\.key) == ["big file+1.bin"])
        #expect(page.uploads.map(\.uploadID) == ["2~eJYwyM_anYpdh1A8UTdd86eB_FdG7RJ"])
        #expect(page.uploads.first?.initiated == Date(timeIntervalSince1970: 1_796_093_771.417))
        #expect(page.next == .init(keyMarker: "big file+1.bin", uploadIDMarker: "2~eJYwyM_anYpdh1A8UTdd86eB_FdG7RJ"))

        // RGW names a next marker on the last page too; IsTruncated decides.
        let lastPage = try parse(
            #"<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>sample-bucket-2</Bucket><NextKeyMarker>other.bin</NextKeyMarker><NextUploadIdMarker>2~coFXHXwFTMExMut8sDONVn3cBsZfPLw</NextUploadIdMarker><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated><Upload><Key>other.bin</Key><UploadId>2~coFXHXwFTMExMut8sDONVn3cBsZfPLw</UploadId><Initiator><ID>sluice</ID><DisplayName>Sluice</DisplayName></Initiator><Owner><ID>sluice</ID><DisplayName>Sluice</DisplayName></Owner><StorageClass>STANDARD</StorageClass><Initiated>2026-12-01T02:56:11.808Z</Initiated></Upload></ListMultipartUploadsResult>"#)
        #expect(try S3Messages.multipartUploads(lastPage, keyPrefix: "").next == nil)

        let empty = try parse(
            #"<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>sample-bucket-2</Bucket><Prefix>zzz</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>"#)
        #expect(try S3Messages.multipartUploads(empty, keyPrefix: "").uploads.isEmpty)
    }

    @Test func completionRequestEscapesItsContent() {
        let body = S3Messages.completeMultipartUploadBody([
            S3CompletedPart(partNumber: 1, etag: "\"a&b\""), S3CompletedPart(partNumber: 2, etag: "<x>"),
        ])
        #expect(body == #"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><PartNumber>1</PartNumber><ETag>&quot;a&amp;b&quot;</ETag></Part><Part><PartNumber>2</PartNumber><ETag>&lt;x&gt;</ETag></Part></CompleteMultipartUpload>"#)
    }

    @Test func escapedTextRoundTrips() throws {
        let text = "a&b<c>d\"e'f\rg ü 日本"
        let root = try parse("<Key>\(S3XML.escape(text))</Key>")
        #expect(root.text == text)
    }

    @Test func cdataAndNestedElements() throws {
        let root = try parse("<A><B><![CDATA[x<y]]></B><C><D>1</D></C><B>2</B></A>")
        #expect(root.children("B").map(\.text) == ["x<y", "2"])
        #expect(root.child("C")?.text(of: "D") == "1")
    }

    @Test func malformedEmptyAndOversizedDocumentsAreInvalidResponses() {
        for text in ["", "   ", "<Error><Code>x</Error>", "not xml"] {
            #expect {
                try parse(text)
            } throws: { error in
                if case S3Error.invalidResponse = error { true } else { false }
            }
        }
        var huge = ByteBuffer(string: "<A>")
        huge.writeRepeatingByte(UInt8(ascii: "x"), count: S3XML.maximumDocumentSize)
        huge.writeString("</A>")
        #expect(throws: S3Error.self) { try S3XML.parse(huge) }
    }
}
