import HubCore
import Venues
import XCTest

/// The adapter's session rules as a state machine: no sockets, time passed in.
final class DeribitFeedRulesTests: XCTestCase {
    private func feed(_ configure: (inout DeribitFeedConfig) -> Void = { _ in }) -> DeribitFeed {
        var c = DeribitFeedConfig()
        c.instruments = ["BTC-PERPETUAL"]
        c.heartbeatSeconds = 10
        configure(&c)
        return DeribitFeed(config: c)
    }

    private func receive(_ f: DeribitFeed, _ text: String, now: UInt64 = 1) -> (actions: [FeedAction], events: [RawEvent]) {
        var events: [RawEvent] = []
        var bytes = Array(text.utf8)
        let actions = bytes.withUnsafeMutableBytes { f.received(UnsafeRawBufferPointer($0), now: now, wallMicros: 5) { events.append($0) } }
        return (actions, events)
    }

    private func sent(_ actions: [FeedAction]) -> [String] {
        actions.compactMap { if case .send(let s) = $0 { return s } else { return nil } }
    }

    private func id(_ request: String) -> Int {
        let obj = try? JSONSerialization.jsonObject(with: Data(request.utf8)) as? [String: Any]
        return obj?["id"] as? Int ?? -1
    }

    func testConnectSendsHeartbeatThenSubscriptionsAndGoesLiveOnAcknowledgement() {
        let f = feed()
        let out = sent(f.connected(now: 0))
        XCTAssertEqual(out.count, 2)
        XCTAssertTrue(out[0].contains(#""method":"public/set_heartbeat","params":{"interval":10}"#))
        XCTAssertTrue(out[1].contains(#""params":{"channels":["ticker.BTC-PERPETUAL.100ms","book.BTC-PERPETUAL.100ms","trades.BTC-PERPETUAL.100ms"]}"#))
        XCTAssertEqual(f.status.state, .connecting)
        _ = receive(
            f, #"{"jsonrpc":"2.0","id":\#(id(out[1])),"result":["ticker.BTC-PERPETUAL.100ms","book.BTC-PERPETUAL.100ms","trades.BTC-PERPETUAL.100ms"]}"#)
        XCTAssertEqual(f.status.state, .live)
        XCTAssertEqual(f.subscribedChannels.count, 3)
    }

    /// A recorded session's acknowledgement answers the recording client's id, not ours: the
    /// replay adapter takes data as proof of a subscription; a live one keeps to ids.
    func testAReplayIsJudgedByItsDataALiveConnectionByItsAcknowledgements() {
        let snapshot =
            #"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.100ms","data":{"type":"snapshot","timestamp":1,"instrument_name":"BTC-PERPETUAL","change_id":100,"bids":[["new",99,1]],"asks":[["new",101,3]]}}}"#
        let foreignAck = #"{"jsonrpc":"2.0","id":0,"result":["book.BTC-PERPETUAL.100ms"]}"#
        var c = DeribitFeedConfig()
        c.instruments = ["BTC-PERPETUAL"]
        let replay = DeribitFeed(config: c, subscribedByData: true)
        _ = replay.connected(now: 0)
        _ = receive(replay, foreignAck)
        XCTAssertEqual(replay.status.state, .connecting, "id 0 was never ours")
        XCTAssertEqual(receive(replay, snapshot).events.count, 1)
        XCTAssertEqual(replay.status.state, .live)

        let live = feed()
        _ = live.connected(now: 0)
        _ = receive(live, foreignAck)
        _ = receive(live, snapshot)
        XCTAssertEqual(live.status.state, .connecting, "a live connection waits for its own acknowledgement")
    }

    func testAuthenticatesFirstWhenCredentialsAreConfigured() {
        let f = feed {
            $0.clientID = "id"
            $0.clientSecret = "s\"ecret"
        }
        let out = sent(f.connected(now: 0))
        XCTAssertTrue(out[0].contains(#""method":"public/auth","params":{"grant_type":"client_credentials","client_id":"id","client_secret":"s\"ecret"}"#))
    }

    func testTestRequestIsAnsweredWithPublicTest() {
        let f = feed()
        _ = f.connected(now: 0)
        let r = receive(f, #"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}"#)
        XCTAssertEqual(sent(r.actions).count, 1)
        XCTAssertTrue(sent(r.actions)[0].contains(#""method":"public/test""#))
        XCTAssertEqual(f.status.heartbeats, 1)
        XCTAssertTrue(sent(receive(f, #"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"heartbeat"}}"#).actions).isEmpty)
    }

    func testBookChainGapResubscribesAndTheNextSnapshotRestoresLive() {
        let f = feed()
        let sub = sent(f.connected(now: 0))[1]
        _ = receive(f, #"{"jsonrpc":"2.0","id":\#(id(sub)),"result":["book.BTC-PERPETUAL.100ms"]}"#)
        let snap = receive(
            f,
            #"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.100ms","data":{"type":"snapshot","timestamp":1,"instrument_name":"BTC-PERPETUAL","change_id":100,"bids":[["new",99,1],["new",98,2]],"asks":[["new",101,3]]}}}"#
        )
        XCTAssertEqual(snap.events.count, 1)
        XCTAssertEqual(snap.events[0].stream, .book)
        XCTAssertEqual(snap.events[0].sequence, 100)
        XCTAssertEqual(
            snap.events[0].fields.first { $0.key == DeribitField.bids.rawValue }?.value,
            .levels([PriceLevel(price: 99, amount: 1), PriceLevel(price: 98, amount: 2)]))
        XCTAssertEqual(snap.events[0].fields.first { $0.key == DeribitField.bestAskPrice.rawValue }?.value, .number(101))

        let chained = receive(
            f,
            #"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.100ms","data":{"type":"change","timestamp":2,"prev_change_id":100,"instrument_name":"BTC-PERPETUAL","change_id":107,"bids":[["delete",99,0]],"asks":[["change",101,5]]}}}"#
        )
        XCTAssertTrue(chained.actions.isEmpty)
        XCTAssertEqual(chained.events[0].fields.first { $0.key == DeribitField.bestBidPrice.rawValue }?.value, .number(98))

        let gap = receive(
            f,
            #"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.100ms","data":{"type":"change","timestamp":3,"prev_change_id":110,"instrument_name":"BTC-PERPETUAL","change_id":120,"bids":[],"asks":[]}}}"#
        )
        XCTAssertTrue(gap.events.isEmpty, "nothing is published from a broken book")
        let requests = sent(gap.actions)
        XCTAssertEqual(requests.count, 2)
        XCTAssertTrue(requests[0].contains("public/unsubscribe") && requests[0].contains("book.BTC-PERPETUAL.100ms"))
        XCTAssertTrue(requests[1].contains("public/subscribe") && requests[1].contains("book.BTC-PERPETUAL.100ms"))
        XCTAssertEqual(f.status.gaps, 1)
        XCTAssertEqual(f.status.state, .degraded)
        XCTAssertEqual(f.resyncing, ["BTC-PERPETUAL"])

        // Changes before the new snapshot are ignored; the snapshot rebuilds the book.
        XCTAssertTrue(
            receive(
                f,
                #"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.100ms","data":{"type":"change","timestamp":4,"prev_change_id":120,"instrument_name":"BTC-PERPETUAL","change_id":121,"bids":[],"asks":[]}}}"#
            ).events.isEmpty)
        let resync = receive(
            f,
            #"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.100ms","data":{"type":"snapshot","timestamp":5,"instrument_name":"BTC-PERPETUAL","change_id":130,"bids":[["new",97,1]],"asks":[["new",102,1]]}}}"#
        )
        XCTAssertEqual(resync.events.count, 1)
        XCTAssertEqual(resync.events[0].fields.first { $0.key == DeribitField.bids.rawValue }?.value, .levels([PriceLevel(price: 97, amount: 1)]))
        XCTAssertEqual(f.status.state, .live)
        XCTAssertTrue(f.resyncing.isEmpty)
    }

    /// After a reconnect, books are rebuilt in the last connection's emptied storage: nothing of
    /// the old book shows, a change before its snapshot is still ignored, and the new chain holds.
    func testBooksOfANewConnectionStartEmptyInTheOldStorage() {
        func book(_ instrument: String, _ data: String) -> String {
            #"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.\#(instrument).100ms","data":{"timestamp":1,"instrument_name":"\#(instrument)",\#(data)}}}"#
        }
        func levels(_ e: RawEvent, _ f: DeribitField) -> PropertyValue? { e.fields.first { $0.key == f.rawValue }?.value }
        let f = DeribitFeed(config: DeribitFeedConfig(), subscribedByData: true)
        _ = f.connected(now: 0)
        _ = receive(f, book("A", #""type":"snapshot","change_id":1,"bids":[["new",99,1],["new",98,2],["new",97,3]],"asks":[["new",101,3]]"#))
        _ = receive(f, book("A", #""type":"change","prev_change_id":1,"change_id":2,"bids":[["new",96,4]],"asks":[]"#))

        _ = f.connected(now: 10)
        XCTAssertTrue(receive(f, book("B", #""type":"change","prev_change_id":2,"change_id":3,"bids":[],"asks":[]"#)).events.isEmpty, "B has no snapshot yet")
        let snapshot = receive(f, book("B", #""type":"snapshot","change_id":50,"bids":[["new",10,1]],"asks":[]"#)).events
        XCTAssertEqual(snapshot.count, 1)
        XCTAssertEqual(levels(snapshot[0], .bids), .levels([PriceLevel(price: 10, amount: 1)]))
        XCTAssertEqual(levels(snapshot[0], .asks), .levels([]))
        let next = receive(f, book("B", #""type":"change","prev_change_id":50,"change_id":51,"bids":[["new",11,2]],"asks":[]"#))
        XCTAssertEqual(levels(next.events[0], .bids), .levels([PriceLevel(price: 11, amount: 2), PriceLevel(price: 10, amount: 1)]))
        XCTAssertTrue(next.actions.isEmpty, "the chain of the new snapshot holds")
        XCTAssertEqual(f.status.gaps, 0)
        XCTAssertTrue(
            receive(f, book("A", #""type":"change","prev_change_id":2,"change_id":3,"bids":[],"asks":[]"#)).events.isEmpty, "A waits for its snapshot")
    }

    func testStaleFeedAsksForAReconnect() {
        let f = feed()
        let sub = sent(f.connected(now: 0))[1]
        _ = receive(f, #"{"jsonrpc":"2.0","id":\#(id(sub)),"result":["ticker.BTC-PERPETUAL.100ms"]}"#, now: 0)
        XCTAssertEqual(f.status.state, .live)
        XCTAssertTrue(f.timer(now: 29_000_000_000).isEmpty)
        XCTAssertEqual(f.timer(now: 31_000_000_000), [.reconnect(reason: "stale: no message for 31 s")])
        f.disconnected(now: 31_000_000_000, reason: "stale")
        XCTAssertEqual(f.status.state, .down)
        XCTAssertTrue(f.timer(now: 99_000_000_000).isEmpty, "nothing to check while down")
    }

    func testUnacknowledgedSubscriptionsReconnect() {
        let f = feed { $0.staleAfterSeconds = 100 }
        _ = f.connected(now: 0)
        _ = receive(f, #"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"heartbeat"}}"#, now: 14_000_000_000)
        XCTAssertEqual(f.timer(now: 16_000_000_000), [.reconnect(reason: "subscriptions not acknowledged within 15 s")])
    }

    func testOptionDiscoverySubscribesTheNearestExpiryAroundTheMiddleStrike() {
        let f = feed {
            $0.instruments = []
            $0.optionCurrencies = ["BTC"]
            $0.maxOptionsPerCurrency = 2
        }
        let out = sent(f.connected(now: 0))
        XCTAssertTrue(out[1].contains(#""method":"public/get_instruments","params":{"currency":"BTC","kind":"option","expired":false}"#))
        func opt(_ name: String, _ strike: Double, _ exp: Int, _ type: String) -> String {
            #"{"tick_size":0.0005,"strike":\#(strike),"option_type":"\#(type)","kind":"option","is_active":true,"instrument_name":"\#(name)","expiration_timestamp":\#(exp)}"#
        }
        let result = [
            opt("BTC-A-1-C", 1, 100, "call"), opt("BTC-A-2-C", 2, 100, "call"), opt("BTC-A-2-P", 2, 100, "put"),
            opt("BTC-A-3-C", 3, 100, "call"), opt("BTC-B-2-C", 2, 200, "call"),
        ].joined(separator: ",")
        let r = receive(f, #"{"jsonrpc":"2.0","id":\#(id(out[1])),"result":[\#(result)]}"#)
        let subscribe = sent(r.actions)
        XCTAssertEqual(subscribe.count, 1)
        XCTAssertTrue(subscribe[0].contains("ticker.BTC-A-2-C.100ms") && subscribe[0].contains("ticker.BTC-A-2-P.100ms"))
        XCTAssertFalse(subscribe[0].contains("BTC-B-") || subscribe[0].contains("BTC-A-1-C"))
    }

    func testDecodeErrorsAndVenueErrorsAreCounted() {
        let f = feed()
        _ = f.connected(now: 0)
        _ = receive(f, "{oops")
        XCTAssertEqual(f.status.decodeErrors, 1)
        _ = receive(f, #"{"jsonrpc":"2.0","id":2,"error":{"message":"bad","code":11050}}"#)
        XCTAssertEqual(f.status.lastError, "deribit error 11050: bad")
        XCTAssertEqual(f.status.messages, 2)
    }
}
