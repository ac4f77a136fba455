import Foundation
import HubCore
import XCTest

@testable import Venues

/// Polymarket's CLOB market channel: every message of the CLOB docs and SDK fixtures, and the
/// adapter's consistency rule (no sequence numbers: the venue's best prices check the book).
final class PolymarketCodecTests: XCTestCase {
    let codec = PolymarketCodec()
    static let a1 = "65818619657568813474341868652308942079804919287380422192892211131408793125422"

    func decode(_ s: String) throws -> [PolymarketMessage] {
        var b = Array(s.utf8)
        return try b.withUnsafeMutableBytes { try codec.decode(UnsafeRawBufferPointer($0)) }
    }

    func testOfficialAndSDKExamples() throws {
        XCTAssertEqual(
            try decode(
                #"{"event_type": "book", "asset_id": "65818619657568813474341868652308942079804919287380422192892211131408793125422", "market": "0xbd31dc8a20211944f6b70f31557f1001557b59905b7738480ca09bd4532f84af", "bids": [{ "price": ".48", "size": "30" }, { "price": ".49", "size": "20" }, { "price": ".50", "size": "15" }], "asks": [{ "price": ".52", "size": "25" }, { "price": ".53", "size": "60" }, { "price": ".54", "size": "10" }], "timestamp": "123456789000", "hash": "0x0...."}"#
            ),
            [
                .book(
                    asset: Self.a1, bids: [.init(price: 0.48, amount: 30), .init(price: 0.49, amount: 20), .init(price: 0.5, amount: 15)],
                    asks: [.init(price: 0.52, amount: 25), .init(price: 0.53, amount: 60), .init(price: 0.54, amount: 10)], time: 123_456_789_000,
                    hash: "0x0....")
            ])
        // The docs' price_change has no event_type.
        let docs = try decode(
            #"{"market": "0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1", "price_changes": [{"asset_id": "71321045679252212594626385532706912750332728571942532289631379312455583992563", "price": "0.5", "size": "200", "side": "BUY", "hash": "56621a121a47ed9333273e21c83b660cff37ae50", "best_bid": "0.5", "best_ask": "1"}]}"#
        )
        guard case .priceChanges(let changes, _) = docs.first else { return XCTFail("price_change") }
        XCTAssertEqual(changes.first?.buy, true)
        XCTAssertEqual(changes.first?.bestAsk, 1)
        let frames = [
            #"{"event_type":"price_change","market":"0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1","price_changes":[{"asset_id":"71321045679252212594626385532706912750332728571942532289631379312455583992563","price":"0.5","size":"200","side":"BUY","hash":"56621a121a47ed9333273e21c83b660cff37ae50","best_bid":"0.5","best_ask":"1"}],"timestamp":"1757908892351"}"#,
            #"{"event_type":"last_trade_price","asset_id":"114122071509644379678018727908709560226618148003371446110114509806601493071694","market":"0x6a67b9d828d53862160e470329ffea5246f338ecfffdf2cab45211ec578b0347","price":"0.456","size":"219.217767","fee_rate_bps":"0","side":"BUY","timestamp":"1750428146322","transaction_hash":"0xeeefffggghhh"}"#,
            #"{"event_type":"tick_size_change","asset_id":"65818619657568813474341868652308942079804919287380422192892211131408793125422","market":"0xbd31dc8a20211944f6b70f31557f1001557b59905b7738480ca09bd4532f84af","old_tick_size":"0.01","new_tick_size":"0.001","timestamp":"1757908892351"}"#,
            #"{"event_type":"market_resolved","id":"1031769","market":"0x311d0c4b6671ab54af4970c06fcf58662516f5168997bdda209ec3db5aa6b0c1","assets_ids":["76043073756653678226373981964075571318267289248134717369284518995922789326425","31690934263385727664202099278545688007799199447969475608906331829650099442770"],"winning_asset_id":"76043073756653678226373981964075571318267289248134717369284518995922789326425","winning_outcome":"Yes","timestamp":"1766790415550","tags":["stocks"]}"#,
            #"{"asset_id":"X","event_type":"last_trade_price","fee_rate_bps":"0","market":"0x6a67b9d828d53862160e470329ffea5246f338ecfffdf2cab45211ec578b0347","price":"0.456","side":"BUY","size":"219.217767","timestamp":"1750428146322"}"#,
            #"{"market":"0xec006eb725b2454a3cf58d3bf43ddd95a03b019188c2286b3767454ec761d054","asset_id":"102872648555130809031488632355736527619427659766925788934870144378212124766731","best_bid":"0.48","best_ask":"0.51","spread":"0.03","timestamp":"1778480999944","event_type":"best_bid_ask"}"#,
        ]
        let decoded = try frames.map { try decode($0).first! }
        XCTAssertEqual(
            decoded[1],
            .lastTrade(
                asset: "114122071509644379678018727908709560226618148003371446110114509806601493071694", price: 0.456, size: 219.217767, side: "buy",
                time: 1_750_428_146_322))
        XCTAssertEqual(decoded[2], .tickSize(asset: Self.a1, old: 0.01, new: 0.001))
        XCTAssertEqual(decoded[3], .resolved(winningAsset: "76043073756653678226373981964075571318267289248134717369284518995922789326425"))
        XCTAssertEqual(
            decoded[5],
            .bestBidAsk(asset: "102872648555130809031488632355736527619427659766925788934870144378212124766731", bid: 0.48, ask: 0.51, time: 1_778_480_999_944))
        // The initial dump: a JSON array of books in one frame.
        let dump = try decode(
            #"[{"event_type":"book","asset_id":"50004092451487013519117521377876897159157506656261391593572775546589316505011","market":"0x7d325e7050162fe19c7d4dba4583cae55d1661f8b71ff6945916b8ba284eaa51","timestamp":"1778480069765","hash":"45f2026aa4eb8dee21005241e2fb95c3a5cc3a78","bids":[{"price":"0.60","size":"100"}],"asks":[{"price":"0.98","size":"200"}],"tick_size":"0.01","last_trade_price":""},{"event_type":"book","asset_id":"114598918128008649573289110164634285301775348261383142320713626791317488686608","market":"0x7d325e7050162fe19c7d4dba4583cae55d1661f8b71ff6945916b8ba284eaa51","timestamp":"1778464937192","hash":"8b2d393ef49638c22a522aa5602df5d6de7185ab","bids":[{"price":"0.45","size":"50"}],"asks":[{"price":"0.94","size":"11.53"}],"tick_size":"0.01","last_trade_price":""}]"#
        )
        XCTAssertEqual(dump.count, 2)
        let two = try decode(
            #"{"market":"0xa8adfd2128c320af6b3369aae60e69a88e06dd0baf98122cae11ac15bebcaff6","price_changes":[{"asset_id":"32029059041121237772501910512051792285371148723936508019755582547379001566932","price":"0.05","size":"2849.22","side":"BUY","hash":"2a784b3f6149b2430b8c21cf0f3302c9d6e5a8e3","best_bid":"0.99","best_ask":"1"},{"asset_id":"44076628926488158747612441576415392346365146558144994485384867009865003867169","price":"0.95","size":"2849.22","side":"SELL","hash":"2e83aa931bc04b2ce1b80e3ae79d05282e89f26b","best_bid":"0","best_ask":"0.01"}],"timestamp":"1778480999942","event_type":"price_change"}"#
        )
        guard case .priceChanges(let pair, let t) = two.first else { return XCTFail("two assets") }
        XCTAssertEqual(pair.map(\.buy), [true, false])
        XCTAssertEqual(t, 1_778_480_999_942)
        XCTAssertEqual(try decode("PONG"), [.pong])
        var c = PolymarketFeedConfig()
        c.assets = [.init(id: "1"), .init(id: "2")]
        XCTAssertEqual(PolymarketFeed(config: c).subscribeMessage, #"{"assets_ids":["1","2"],"type":"market","custom_feature_enabled":true}"#)
    }

    func testBadFrames() {
        for bad in [
            "PING?", "{", #"{"x":1}"#, #"{"event_type":"book","asset_id":"1"}"#,
            #"{"event_type":"price_change","price_changes":[{"asset_id":"1","price":"0.5","size":"1","side":"HOLD"}]}"#, "[1]",
        ] {
            XCTAssertThrowsError(try decode(bad), bad)
        }
    }

    func testAnInconsistentBookIsDroppedAndResubscribed() {
        var c = PolymarketFeedConfig()
        c.assets = [.init(id: "7", name: "YES-7", outcome: "Yes")]
        let feed = PolymarketFeed(config: c)
        XCTAssertEqual(feed.connected(now: 1), [.send(feed.subscribeMessage)])
        var events: [RawEvent] = []
        func frame(_ s: String, now: UInt64 = 10_000_000_000) -> [FeedAction] {
            var b = Array(s.utf8)
            return b.withUnsafeMutableBytes { feed.received(UnsafeRawBufferPointer($0), now: now, wallMicros: 0) { events.append($0) } }
        }
        _ = frame(#"[{"event_type":"book","asset_id":"7","bids":[{"price":"0.40","size":"10"}],"asks":[{"price":"0.45","size":"5"}],"timestamp":"1"}]"#)
        XCTAssertEqual(feed.status.state, .live)
        XCTAssertEqual(events.map(\.stream), [.book, .outcomes])
        XCTAssertEqual(events.last?.instrument, "YES-7")
        _ = frame(
            #"{"event_type":"price_change","price_changes":[{"asset_id":"7","price":"0.41","size":"3","side":"BUY","best_bid":"0.41","best_ask":"0.45"}],"timestamp":"2"}"#
        )
        XCTAssertEqual(feed.book("7")?.bids.map(\.price), [0.41, 0.40])
        XCTAssertEqual(feed.status.gaps, 0)
        // The venue says the best bid is 0.39: a change was missed — seen once that burst is
        // complete (the next frame is of a later time).
        _ = frame(
            #"{"event_type":"price_change","price_changes":[{"asset_id":"7","price":"0.44","size":"1","side":"SELL","best_bid":"0.39","best_ask":"0.44"}],"timestamp":"3"}"#
        )
        XCTAssertEqual(feed.status.gaps, 0, "judged when its burst is complete")
        let actions = frame(
            #"{"event_type":"price_change","price_changes":[{"asset_id":"7","price":"0.30","size":"2","side":"BUY","best_bid":"0.39","best_ask":"0.44"}],"timestamp":"3.5"}"#
        )
        XCTAssertEqual(feed.status.gaps, 1)
        XCTAssertEqual(actions, [.send(feed.subscribeMessage)])
        XCTAssertNil(feed.book("7"))
        XCTAssertEqual(feed.status.state, .degraded)
        _ = frame(#"[{"event_type":"book","asset_id":"7","bids":[{"price":"0.39","size":"10"}],"asks":[{"price":"0.44","size":"1"}],"timestamp":"4"}]"#)
        XCTAssertEqual(feed.status.state, .live)
        XCTAssertEqual(feed.status.resyncs, 1)
        // Text PING on schedule; PONG counts as a heartbeat.
        XCTAssertEqual(feed.timer(now: 12_000_000_000), [.send("PING")])
        _ = frame("PONG")
        XCTAssertEqual(feed.status.heartbeats, 1)
    }

    /// A trade sweeping two ask levels, as the venue sends it: three `price_change` frames of one
    /// timestamp — the first adds the taker's resting remainder and reports the best prices after
    /// the whole sweep (the book crosses for a moment), the next two remove the consumed levels.
    func testASweepingTradeIsJudgedWhenItsBurstIsComplete() {
        var c = PolymarketFeedConfig()
        c.assets = [.init(id: "9", name: "YES-9", outcome: "Yes")]
        let feed = PolymarketFeed(config: c)
        _ = feed.connected(now: 1)
        var events: [RawEvent] = []
        func frame(_ s: String, now: UInt64 = 10_000_000_000) -> [FeedAction] {
            var b = Array(s.utf8)
            return b.withUnsafeMutableBytes { feed.received(UnsafeRawBufferPointer($0), now: now, wallMicros: 0) { events.append($0) } }
        }
        _ = frame(
            #"[{"event_type":"book","asset_id":"9","market":"0xbd31dc8a20211944f6b70f31557f1001557b59905b7738480ca09bd4532f84af","bids":[{"price":"0.48","size":"100"}],"asks":[{"price":"0.50","size":"50"},{"price":"0.52","size":"100"},{"price":"0.55","size":"80"}],"timestamp":"1757908892351","hash":"0x1"}]"#
        )
        events.removeAll()
        let burst = [
            #"{"market":"0xbd31dc8a20211944f6b70f31557f1001557b59905b7738480ca09bd4532f84af","price_changes":[{"asset_id":"9","price":"0.53","size":"20","side":"BUY","hash":"0x2","best_bid":"0.53","best_ask":"0.55"}],"timestamp":"1757908892400","event_type":"price_change"}"#,
            #"{"market":"0xbd31dc8a20211944f6b70f31557f1001557b59905b7738480ca09bd4532f84af","price_changes":[{"asset_id":"9","price":"0.50","size":"0","side":"SELL","hash":"0x3","best_bid":"0.53","best_ask":"0.55"}],"timestamp":"1757908892400","event_type":"price_change"}"#,
            #"{"market":"0xbd31dc8a20211944f6b70f31557f1001557b59905b7738480ca09bd4532f84af","price_changes":[{"asset_id":"9","price":"0.52","size":"0","side":"SELL","hash":"0x4","best_bid":"0.53","best_ask":"0.55"}],"timestamp":"1757908892400","event_type":"price_change"}"#,
        ]
        for f in burst { XCTAssertEqual(frame(f), []) }
        XCTAssertEqual(feed.status.gaps, 0, "crossed only inside the burst")
        XCTAssertEqual(feed.status.resyncs, 0)
        XCTAssertEqual(feed.book("9")?.bids.first?.price, 0.53)
        XCTAssertEqual(feed.book("9")?.asks.first?.price, 0.55)
        let books = events.filter { $0.stream == .book }
        XCTAssertEqual(books.count, 1, "the two crossed moments are not published; the book after the sweep is")
        // The burst is complete after half a second of quiet: consistent, nothing to do.
        XCTAssertFalse(feed.timer(now: 10_600_000_000).contains(.send(feed.subscribeMessage)))
        XCTAssertEqual(feed.status.gaps, 0)
        XCTAssertEqual(feed.status.state, .live)

        // A burst that ends inconsistent is a gap once quiet — and, caught while the source is
        // still connecting (the other token's book has not come), its rebuilt book is a resync.
        c.assets.append(.init(id: "10", name: "NO-9", outcome: "No"))
        let two = PolymarketFeed(config: c)
        _ = two.connected(now: 5_000_000_000)
        func frame2(_ s: String, now: UInt64) -> [FeedAction] {
            var b = Array(s.utf8)
            return b.withUnsafeMutableBytes { two.received(UnsafeRawBufferPointer($0), now: now, wallMicros: 0) { _ in } }
        }
        _ = frame2(
            #"[{"event_type":"book","asset_id":"9","bids":[{"price":"0.40","size":"1"}],"asks":[{"price":"0.45","size":"1"}],"timestamp":"5"}]"#,
            now: 5_000_000_001)
        _ = frame2(
            #"{"price_changes":[{"asset_id":"9","price":"0.41","size":"1","side":"BUY","best_bid":"0.42","best_ask":"0.45"}],"timestamp":"6","event_type":"price_change"}"#,
            now: 5_000_000_002)
        XCTAssertEqual(two.status.state, .connecting)
        XCTAssertTrue(two.timer(now: 5_600_000_000).contains(.send(two.subscribeMessage)))
        XCTAssertEqual(two.status.gaps, 1)
        _ = frame2(
            #"[{"event_type":"book","asset_id":"9","bids":[{"price":"0.42","size":"1"}],"asks":[{"price":"0.45","size":"1"}],"timestamp":"7"},{"event_type":"book","asset_id":"10","bids":[],"asks":[{"price":"0.58","size":"1"}],"timestamp":"7"}]"#,
            now: 5_700_000_000)
        XCTAssertEqual(two.status.resyncs, 1, "counted although the source had not been live yet")
        XCTAssertEqual(two.status.state, .live)
    }
}
