import HubCore
import Venues
import XCTest

/// Session rules read time from the clock they are given: a `ManualClock` moved by hand walks
/// an adapter through staleness, snapshot deadlines and resynchronisation deadlines with no
/// sleeping and no sockets.
final class SessionRulesTests: XCTestCase {
    let clock = ManualClock()

    private func receive(_ feed: FeedAdapter, _ text: String) -> [FeedAction] {
        var b = Array(text.utf8)
        return b.withUnsafeMutableBytes {
            feed.received(UnsafeRawBufferPointer($0), now: clock.monotonicNanoseconds(), wallMicros: clock.wallMicroseconds()) { _ in }
        }
    }

    private func timer(_ feed: FeedAdapter) -> [FeedAction] { feed.timer(now: clock.monotonicNanoseconds()) }

    private func isReconnect(_ actions: [FeedAction], _ containing: String) -> Bool {
        actions.contains { if case .reconnect(let reason) = $0 { return reason.contains(containing) } else { return false } }
    }

    /// A Coinbase session with a book: subscribed, then a snapshot.
    private func liveCoinbase(staleAfter: Double = 10) -> CoinbaseFeed {
        var c = CoinbaseFeedConfig()
        c.symbols = ["BTC/USD"]
        c.staleAfterSeconds = staleAfter
        let feed = CoinbaseFeed(config: c)
        _ = feed.connected(now: clock.monotonicNanoseconds())
        _ = receive(
            feed,
            #"{"channel":"l2_data","sequence_num":1,"events":[{"type":"snapshot","product_id":"BTC-USD","updates":[{"side":"bid","price_level":"10","new_quantity":"1"},{"side":"offer","price_level":"11","new_quantity":"2"}]}]}"#
        )
        XCTAssertEqual(feed.status.state, .live)
        return feed
    }

    func testAFeedIsStaleOnlyOnceItsLimitHasPassedWithoutAMessage() {
        let feed = liveCoinbase(staleAfter: 10)
        clock.advance(by: 9.9)
        XCTAssertTrue(timer(feed).isEmpty, "within the limit")
        _ = receive(feed, #"{"channel":"heartbeats","sequence_num":2,"events":[{"heartbeat_counter":"1"}]}"#)
        clock.advance(by: 9.9)
        XCTAssertTrue(timer(feed).isEmpty, "a heartbeat restarted the count")
        clock.advance(by: 0.2)
        XCTAssertTrue(isReconnect(timer(feed), "stale"), "10.1 s without a message")
    }

    func testSnapshotsThatNeverComeRenewTheSession() {
        var c = CoinbaseFeedConfig()
        c.symbols = ["BTC/USD"]
        c.staleAfterSeconds = 3600
        let feed = CoinbaseFeed(config: c)
        _ = feed.connected(now: clock.monotonicNanoseconds())
        _ = receive(feed, #"{"channel":"heartbeats","sequence_num":1,"events":[{"heartbeat_counter":"1"}]}"#)
        clock.advance(by: 14)
        XCTAssertTrue(timer(feed).isEmpty)
        clock.advance(by: 2)
        XCTAssertTrue(isReconnect(timer(feed), "no book snapshots within 15 s"))
    }

    func testAResyncThatNeverFinishesBecomesAReconnect() {
        let feed = liveCoinbase(staleAfter: 3600)
        // A sequence gap: the books are resubscribed and the source is degraded until they return.
        _ = receive(feed, #"{"channel":"heartbeats","sequence_num":5,"events":[{"heartbeat_counter":"1"}]}"#)
        XCTAssertEqual(feed.status.state, .degraded)
        XCTAssertTrue(timer(feed).isEmpty, "the deadline starts")
        clock.advance(by: 29)
        XCTAssertTrue(timer(feed).isEmpty, "29 s: still waiting")
        clock.advance(by: 2)
        XCTAssertTrue(isReconnect(timer(feed), "still resynchronising after 30 s"))
    }

    func testAResyncThatFinishesClearsItsDeadline() {
        let feed = liveCoinbase(staleAfter: 3600)
        _ = receive(feed, #"{"channel":"heartbeats","sequence_num":5,"events":[{"heartbeat_counter":"1"}]}"#)
        XCTAssertTrue(timer(feed).isEmpty)
        clock.advance(by: 20)
        _ = receive(
            feed,
            #"{"channel":"l2_data","sequence_num":6,"events":[{"type":"snapshot","product_id":"BTC-USD","updates":[{"side":"bid","price_level":"10","new_quantity":"1"},{"side":"offer","price_level":"11","new_quantity":"2"}]}]}"#
        )
        XCTAssertEqual(feed.status.state, .live)
        XCTAssertTrue(timer(feed).isEmpty)
        clock.advance(by: 20)
        XCTAssertTrue(timer(feed).isEmpty, "40 s after the gap, but resynchronised at 20 s")
    }

    func testTheManualClockMovesOnlyWhenToldAndARunningOneAlsoFollowsTheSystem() {
        let t0 = clock.monotonicNanoseconds(), w0 = clock.wallMicroseconds()
        XCTAssertEqual(clock.monotonicNanoseconds(), t0)
        clock.advance(by: 1.5)
        XCTAssertEqual(clock.monotonicNanoseconds(), t0 + 1_500_000_000)
        XCTAssertEqual(clock.wallMicroseconds(), w0 + 1_500_000)
        let running = ManualClock(running: true)
        let r0 = running.monotonicNanoseconds(), rw0 = running.wallMicroseconds()
        running.advance(by: 60)
        XCTAssertGreaterThanOrEqual(running.monotonicNanoseconds(), r0 + 60_000_000_000)
        // Both readings derive from one elapsed time: however often they are read, they agree.
        for _ in 0..<10_000 { _ = running.wallMicroseconds() }
        let dm = Int64(running.monotonicNanoseconds() - r0) / 1000, dw = running.wallMicroseconds() - rw0
        XCTAssertLessThanOrEqual(abs(dm - dw), 1_000, "wall and monotonic readings moved together")
    }
}
