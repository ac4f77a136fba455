import Foundation
import HubCore
import XCTest

@testable import Venues

/// Coinbase Advanced Trade: every message type of the Advanced Trade WebSocket docs, the
/// adapter's sequence rule, and bad input.
final class CoinbaseCodecTests: XCTestCase {
    let codec = CoinbaseCodec()

    func decode(_ s: String) throws -> CoinbaseMessage {
        var b = Array(s.utf8)
        return try b.withUnsafeMutableBytes { try codec.decode(UnsafeRawBufferPointer($0)) }
    }

    func testOfficialExamples() throws {
        let hb = try decode(
            #"{"channel": "heartbeats", "client_id": "", "timestamp": "2023-06-23T20:31:26.122969572Z", "sequence_num": 0, "events": [{"current_time": "2023-06-23 20:31:56.121961769 +0000 UTC m=+91717.525857105", "heartbeat_counter": "3049"}]}"#
        )
        XCTAssertEqual(hb, CoinbaseMessage(sequence: 0, body: .heartbeat(counter: 3049)))

        let l2 = try decode(
            #"{"channel": "l2_data", "client_id": "", "timestamp": "2023-02-09T20:32:50.714964855Z", "sequence_num": 0, "events": [{"type": "snapshot", "product_id": "BTC-USD", "updates": [{"side": "bid", "event_time": "1970-01-01T00:00:00Z", "price_level": "21921.73", "new_quantity": "0.06317902"}, {"side": "bid", "event_time": "1970-01-01T00:00:00Z", "price_level": "21921.3", "new_quantity": "0.02"}]}]}"#
        )
        XCTAssertEqual(l2.body, .level2([.init(product: "BTC-USD", snapshot: true, updates: [(true, 21921.73, 0.06317902), (true, 21921.3, 0.02)])]))

        let t = try decode(
            #"{"channel": "ticker", "client_id": "", "timestamp": "2023-02-09T20:30:37.167359596Z", "sequence_num": 0, "events": [{"type": "snapshot", "tickers": [{"type": "ticker", "product_id": "BTC-USD", "price": "21932.98", "volume_24_h": "16038.28770938", "low_24_h": "21835.29", "high_24_h": "23011.18", "low_52_w": "15460", "high_52_w": "48240", "price_percent_chg_24_h": "-4.15775596190603", "best_bid": "21931.98", "best_bid_quantity": "8000.21", "best_ask": "21933.98", "best_ask_quantity": "8038.07770938"}]}]}"#
        )
        guard case .ticker(let tickers) = t.body else { return XCTFail("ticker") }
        XCTAssertEqual(tickers.first?.bestBid, 21931.98)
        XCTAssertEqual(tickers.first?.bestAskQuantity, 8038.07770938)
        XCTAssertEqual(tickers.first?.percentChange24h, -4.15775596190603)

        let trades = try decode(
            #"{"channel": "market_trades", "client_id": "", "timestamp": "2023-02-09T20:19:35.39625135Z", "sequence_num": 0, "events": [{"type": "snapshot", "trades": [{"trade_id": "000000000", "product_id": "ETH-USD", "price": "1260.01", "size": "0.3", "side": "BUY", "time": "2019-08-14T20:42:27.265Z"}]}]}"#
        )
        XCTAssertEqual(
            trades.body, .trades(snapshot: true, [.init(id: "000000000", product: "ETH-USD", price: 1260.01, size: 0.3, side: "buy", time: 1_565_815_347_265)]))

        let subs = try decode(
            #"{"channel": "subscriptions", "timestamp": "2023-02-09T20:19:35.39625135Z", "sequence_num": 7, "events": [{"subscriptions": {"level2": ["BTC-USD"]}}]}"#
        )
        XCTAssertEqual(subs, CoinbaseMessage(sequence: 7, body: .subscriptions(["level2": ["BTC-USD"]])))
        XCTAssertEqual(try decode(#"{"type":"error","message":"failure to subscribe"}"#).body, .error("failure to subscribe"))
        XCTAssertEqual(CoinbaseCodec.millis("2023-02-09T20:32:50.714964855Z"), 1_675_974_770_714, "nanoseconds truncated to milliseconds")
    }

    func testBadMessagesAreErrors() {
        for bad in [
            "nope", "[]", #"{"events":[]}"#, #"{"channel":"l2_data","events":[{"product_id":"X"}]}"#,
            #"{"channel":"l2_data","events":[{"product_id":"X","updates":[{"side":"middle","price_level":"1","new_quantity":"1"}]}]}"#,
            #"{"channel":"market_trades","events":[{"trades":[{"trade_id":"1"}]}]}"#, #"{"channel":"ticker","events":[{"tickers":[{}]}]}"#,
        ] {
            XCTAssertThrowsError(try decode(bad), bad)
        }
    }

    func testSequenceGapResubscribesTheBooks() {
        var c = CoinbaseFeedConfig()
        c.symbols = ["BTC/USD"]
        let feed = CoinbaseFeed(config: c)
        let subscribe = feed.connected(now: 1)
        XCTAssertEqual(subscribe.count, 4)
        XCTAssertEqual(subscribe.last, .send(#"{"type":"subscribe","product_ids":["BTC-USD"],"channel":"level2"}"#))
        var events: [RawEvent] = []
        func feedIn(_ s: String) -> [FeedAction] {
            var b = Array(s.utf8)
            return b.withUnsafeMutableBytes { feed.received(UnsafeRawBufferPointer($0), now: 2, wallMicros: 0) { events.append($0) } }
        }
        XCTAssertEqual(feedIn(#"{"channel":"l2_data","sequence_num":0,"events":[{"type":"update","product_id":"BTC-USD","updates":[]}]}"#), [])
        XCTAssertTrue(events.isEmpty, "an update before its snapshot is dropped")
        _ = feedIn(
            #"{"channel":"l2_data","sequence_num":1,"events":[{"type":"snapshot","product_id":"BTC-USD","updates":[{"side":"bid","price_level":"10","new_quantity":"1"},{"side":"offer","price_level":"11","new_quantity":"2"}]}]}"#
        )
        _ = feedIn(
            #"{"channel":"l2_data","sequence_num":2,"events":[{"type":"update","product_id":"BTC-USD","updates":[{"side":"bid","price_level":"10","new_quantity":"0"},{"side":"bid","price_level":"9.5","new_quantity":"3"}]}]}"#
        )
        XCTAssertEqual(feed.book("BTC-USD")?.bids.map(\.price), [9.5], "new_quantity is absolute; 0 removes")
        XCTAssertEqual(feed.status.state, .live)
        XCTAssertEqual(events.count, 2)
        let actions = feedIn(#"{"channel":"heartbeats","sequence_num":5,"events":[{"heartbeat_counter":"1"}]}"#)
        XCTAssertEqual(feed.status.gaps, 1)
        XCTAssertEqual(
            actions,
            [
                .send(#"{"type":"unsubscribe","product_ids":["BTC-USD"],"channel":"level2"}"#),
                .send(#"{"type":"subscribe","product_ids":["BTC-USD"],"channel":"level2"}"#),
            ])
        XCTAssertNil(feed.book("BTC-USD"), "the book is dropped until the new snapshot")
        XCTAssertEqual(feed.status.state, .degraded)
    }
}
