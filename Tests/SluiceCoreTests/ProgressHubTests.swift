import Foundation
import SluiceCore
import Testing

/// The progress hub: order, the final message, late and slow watchers, key claims.
@Suite struct ProgressHubTests {
    @Test func aWatcherBeforeTheUploadSeesItFromStartToEnd() async throws {
        let hub = LocalProgressHub()
        let updates = hub.watch("key-0001")
        try hub.claim("key-0001", total: 10)
        hub.publish("key-0001", ProgressUpdate(received: 4, total: 10))
        hub.publish("key-0001", ProgressUpdate(received: 10, total: 10, state: .done, url: "http://x/a"))
        var seen: [ProgressUpdate] = []
        for await update in updates { seen.append(update) }
        // Buffering keeps the newest only, so a fast publisher may skip steps; the end is always there.
        #expect(seen.last == ProgressUpdate(received: 10, total: 10, state: .done, url: "http://x/a"))
        #expect(seen.map(\.received) == seen.map(\.received).sorted())
    }

    @Test func receivedNeverDecreases() async throws {
        let hub = LocalProgressHub()
        hub.publish("key-0002", ProgressUpdate(received: 100, total: nil))
        hub.publish("key-0002", ProgressUpdate(received: 40, total: nil))
        var iterator = hub.watch("key-0002").makeAsyncIterator()
        #expect(await iterator.next()?.received == 100)
    }

    @Test func aSlowWatcherSkipsToTheNewest() async throws {
        let hub = LocalProgressHub()
        try hub.claim("key-0003", total: nil)
        let updates = hub.watch("key-0003")
        for received in 1...1000 { hub.publish("key-0003", ProgressUpdate(received: Int64(received), total: nil)) }
        var iterator = updates.makeAsyncIterator()
        #expect(await iterator.next()?.received == 1000)
        hub.publish("key-0003", ProgressUpdate(received: 1000, total: nil, state: .failed, error: "client_disconnected"))
        #expect(await iterator.next()?.state == .failed)
        #expect(await iterator.next() == nil)
    }

    @Test func aLateWatcherGetsTheFinalStateUntilItIsForgotten() async throws {
        let hub = LocalProgressHub(retention: .milliseconds(200))
        try hub.claim("key-0004", total: 3)
        hub.publish("key-0004", ProgressUpdate(received: 3, total: 3, state: .done, url: "http://x/b"))
        var late: [ProgressUpdate] = []
        for await update in hub.watch("key-0004") { late.append(update) }
        #expect(late.map(\.state) == [.done])
        #expect(late.first?.url == "http://x/b")
        try await Task.sleep(for: .milliseconds(300))
        try hub.claim("key-other", total: nil)  // any call prunes
        #expect(!hub.isKnown("key-0004"))
    }

    @Test func aRunningKeyCannotBeClaimedTwiceButAnEndedOneCan() throws {
        let hub = LocalProgressHub()
        try hub.claim("key-0005", total: nil)
        #expect(throws: SluiceError.progressKeyInUse) { try hub.claim("key-0005", total: nil) }
        hub.publish("key-0005", ProgressUpdate(received: 0, total: nil, state: .failed, error: "x"))
        try hub.claim("key-0005", total: 7)
        #expect(hub.isKnown("key-0005"))
    }

    @Test func everyWatcherGetsTheEnd() async throws {
        let hub = LocalProgressHub()
        let watchers = (0..<50).map { _ in hub.watch("key-0006") }
        try hub.claim("key-0006", total: 1)
        hub.publish("key-0006", ProgressUpdate(received: 1, total: 1, state: .done, url: "u"))
        for updates in watchers {
            var last: ProgressUpdate?
            for await update in updates { last = update }
            #expect(last?.state == .done)
        }
    }

    @Test func aWatcherThatLeavesIsForgotten() async throws {
        let hub = LocalProgressHub()
        let task = Task { for await _ in hub.watch("key-0007") {} }
        try await Task.sleep(for: .milliseconds(50))
        #expect(hub.keyCount == 1)
        task.cancel()
        _ = await task.value
        #expect(hub.keyCount == 0)
    }

    @Test func theReporterThrottlesButAlwaysSendsTheEnd() async throws {
        let hub = LocalProgressHub()
        var reporter = try ProgressReporter(hub: hub, key: "key-0008", total: 1_000_000, claiming: true)
        let updates = hub.watch("key-0008")
        let counter = Task {
            var count = 0
            for await _ in updates {
                count += 1
                try? await Task.sleep(for: .milliseconds(1))
            }
            return count
        }
        for _ in 0..<1000 { reporter.advance(by: 1000) }
        reporter.finish(url: "http://x/c")
        let count = await counter.value
        #expect(count <= 5)
        var iterator = hub.watch("key-0008").makeAsyncIterator()
        let last = await iterator.next()
        #expect(last?.received == 1_000_000)
        #expect(last?.state == .done)
        #expect(throws: SluiceError.progressKeyInUse) {
            _ = try ProgressReporter(hub: hub, key: "key-0009", total: nil, claiming: true)
            _ = try ProgressReporter(hub: hub, key: "key-0009", total: nil, claiming: true)
        }
    }

    @Test func jsonHasNullTotalAndOnlyTheFieldsThatApply() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let running = String(decoding: try encoder.encode(ProgressUpdate(received: 5, total: nil)), as: UTF8.self)
        #expect(running == #"{"received":5,"state":"uploading","total":null}"#)
        let done = String(
            decoding: try encoder.encode(ProgressUpdate(received: 5, total: 5, state: .done, url: "u", urls: ["u"])),
            as: UTF8.self)
        #expect(done == #"{"received":5,"state":"done","total":5,"url":"u","urls":["u"]}"#)
    }
}
