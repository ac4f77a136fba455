import Fixtures
import HubCore
import Venues
import XCTest

/// Decoding real Deribit frames (verbatim from docs.deribit.com and Tests/Fixtures/captures).
final class DeribitCodecTests: XCTestCase {
    let codec = DeribitCodec()

    private func decode(_ frame: String) throws -> [DeribitMessage] {
        var out: [DeribitMessage] = []
        var bytes = Array(frame.utf8)
        try bytes.withUnsafeMutableBytes { try codec.decode(UnsafeRawBufferPointer($0), receiveTime: 99) { out.append($0) } }
        return out
    }

    private func field(_ e: RawEvent, _ f: DeribitField) -> PropertyValue? {
        e.fields.first { $0.key == f.rawValue }?.value
    }

    func testCapturedOptionTickerWithGreeks() throws {
        let frame =
            #"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"ticker.BTC-24SEP21-8000-P.raw","data":{"underlying_price":32366.75,"underlying_index":"BTC-24SEP21","timestamp":1626993722929,"stats":{"volume":10.1,"price_change":0.0,"low":0.001,"high":0.001},"state":"open","settlement_price":0.0,"open_interest":729.2,"min_price":0.0001,"max_price":0.0155,"mark_price":0.00090376,"mark_iv":142.78,"last_price":0.001,"interest_rate":0.0,"instrument_name":"BTC-24SEP21-8000-P","index_price":32201.67,"greeks":{"vega":1.62145,"theta":-1.82613,"rho":-0.27934,"gamma":0.0,"delta":-0.00407},"estimated_delivery_price":32201.67,"bid_iv":133.0,"best_bid_price":0.0005,"best_bid_amount":153.1,"best_ask_price":0.0015,"best_ask_amount":94.7,"ask_iv":152.71}}}"#
        let messages = try decode(frame)
        XCTAssertEqual(messages.count, 1)
        guard case .event(let e) = messages[0] else { return XCTFail("expected an event") }
        XCTAssertEqual(e.instrument, "BTC-24SEP21-8000-P")
        XCTAssertEqual(e.stream, .options)
        XCTAssertEqual(e.exchangeTime, 1_626_993_722_929)
        XCTAssertEqual(e.receiveTime, 99)
        XCTAssertEqual(field(e, .markIv), .number(142.78))
        XCTAssertEqual(field(e, .bidIv), .number(133))
        XCTAssertEqual(field(e, .askIv), .number(152.71))
        XCTAssertEqual(field(e, .delta), .number(-0.00407))
        XCTAssertEqual(field(e, .vega), .number(1.62145))
        XCTAssertEqual(field(e, .underlyingPrice), .number(32366.75))
        XCTAssertEqual(field(e, .bestBidPrice), .number(0.0005))
        XCTAssertEqual(field(e, .strike), .number(8000))
        XCTAssertEqual(field(e, .optionType), .string("put"))
        XCTAssertEqual(field(e, .expiry), .integer(1_632_470_400_000), "24 Sep 2021 08:00 UTC")
        XCTAssertEqual(field(e, .state), .string("open"))
    }

    func testOfficialPerpetualTickerAndNullStats() throws {
        let frame =
            #"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"ticker.BTC-PERPETUAL.100ms","data":{"best_ask_amount":100,"best_ask_price":36443,"best_bid_amount":5000,"best_bid_price":36442.5,"current_funding":0,"estimated_delivery_price":36441.64,"funding_8h":2.11e-05,"index_price":36441.64,"instrument_name":"BTC-PERPETUAL","interest_value":1.7362511643080387,"last_price":36457.5,"mark_price":36446.51,"max_price":36991.72,"min_price":35898.37,"open_interest":502097590,"settlement_price":36169.49,"state":"open","stats":{"high":36824.5,"low":35213.5,"price_change":0.7229,"volume":7871.02139035,"volume_usd":284061480},"timestamp":1623060194301}}}"#
        guard case .event(let e) = try decode(frame)[0] else { return XCTFail("expected an event") }
        XCTAssertEqual(e.stream, .ticker)
        XCTAssertEqual(field(e, .bestBidPrice), .number(36442.5))
        XCTAssertEqual(field(e, .bestAskAmount), .number(100))
        XCTAssertEqual(field(e, .funding8h), .number(2.11e-05))
        XCTAssertEqual(field(e, .statsVolumeUsd), .number(284_061_480))
        XCTAssertNil(field(e, .markIv), "no option fields on a perpetual")

        let nullStats =
            #"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"ticker.ETH-27AUG21-4000-P.raw","data":{"underlying_price":1999.98,"timestamp":1626993723632,"stats":{"volume":null,"price_change":null,"low":null,"high":null},"instrument_name":"ETH-27AUG21-4000-P","best_bid_price":0.0}}}"#
        guard case .event(let e2) = try decode(nullStats)[0] else { return XCTFail("expected an event") }
        XCTAssertNil(field(e2, .statsVolume))
        XCTAssertEqual(field(e2, .bestBidPrice), .number(0))
    }

    func testBookSnapshotAndChangeChain() throws {
        let snapshot =
            #"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.ETH-30JUL21-2800-C.raw","data":{"type":"snapshot","timestamp":1626993723632,"instrument_name":"ETH-30JUL21-2800-C","change_id":13169025645,"bids":[["new",0.0015,4714.0],["new",0.001,861.0],["new",0.0005,1.0]],"asks":[["new",0.0025,873.0],["new",0.003,167.0]]}}}"#
        guard case .book(let s) = try decode(snapshot)[0] else { return XCTFail("expected a book") }
        XCTAssertTrue(s.isSnapshot)
        XCTAssertNil(s.prevChangeID)
        XCTAssertEqual(s.changeID, 13_169_025_645)
        XCTAssertEqual(s.bids.count, 3)
        XCTAssertEqual(s.asks[1], .init(action: .new, price: 0.003, amount: 167))

        let change =
            #"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-24SEP21-8000-P.raw","data":{"type":"change","timestamp":1626993724337,"prev_change_id":33195894355,"instrument_name":"BTC-24SEP21-8000-P","change_id":33195894358,"bids":[],"asks":[["delete",0.001,0.0]]}}}"#
        guard case .book(let c) = try decode(change)[0] else { return XCTFail("expected a book") }
        XCTAssertFalse(c.isSnapshot)
        XCTAssertEqual(c.prevChangeID, 33_195_894_355)
        XCTAssertEqual(c.asks, [.init(action: .delete, price: 0.001, amount: 0)])
    }

    func testTradesFrameYieldsOneEventPerTrade() throws {
        let frame =
            #"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"trades.BTC_USDC-PERPETUAL.100ms","data":[{"trade_seq":501899,"trade_id":"USDC-2436803","timestamp":1655397355998,"tick_direction":2,"price":21026,"mark_price":21019.9719,"instrument_name":"BTC_USDC-PERPETUAL","index_price":21031.7847,"direction":"buy","amount":0.049},{"trade_seq":501900,"trade_id":"USDC-2436804","timestamp":1655397355999,"tick_direction":0,"price":21027,"mark_price":21019.9719,"instrument_name":"BTC_USDC-PERPETUAL","index_price":21031.7847,"direction":"sell","amount":1}]}}"#
        let messages = try decode(frame)
        XCTAssertEqual(messages.count, 2)
        guard case .event(let t) = messages[0], case .event(let t2) = messages[1] else { return XCTFail("expected events") }
        XCTAssertEqual(t.stream, .trades)
        XCTAssertEqual(t.sequence, 501899)
        XCTAssertEqual(field(t, .price), .number(21026))
        XCTAssertEqual(field(t, .amount), .number(0.049))
        XCTAssertEqual(field(t, .direction), .string("buy"))
        XCTAssertEqual(field(t, .tradeId), .string("USDC-2436803"))
        XCTAssertEqual(field(t2, .direction), .string("sell"))
    }

    func testResponsesHeartbeatsAndErrors() throws {
        guard
            case .result(0, .channels(let ch)) = try decode(
                #"{"jsonrpc":"2.0","id":0,"result":["trades.ETH-30JUL21-2800-C.raw","ticker.ETH-30JUL21-2800-C.raw"],"usIn":1626993723846980,"usOut":1626993723847561,"usDiff":581,"testnet":false}"#
            )[0]
        else {
            return XCTFail("expected channels")
        }
        XCTAssertEqual(ch.count, 2)
        guard case .result(9098, .text("ok")) = try decode(#"{"jsonrpc":"2.0","id":9098,"result":"ok"}"#)[0] else { return XCTFail("set_heartbeat") }
        guard case .result(8212, .text("1.2.26")) = try decode(#"{"jsonrpc":"2.0","id":8212,"result":{"version":"1.2.26"}}"#)[0] else { return XCTFail("test") }
        guard case .heartbeat(true) = try decode(#"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}"#)[0] else {
            return XCTFail("test_request")
        }
        guard case .heartbeat(false) = try decode(#"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"heartbeat"}}"#)[0] else {
            return XCTFail("heartbeat")
        }
        guard case .error(7, -32601, "Method not found") = try decode(#"{"jsonrpc":"2.0","id":7,"error":{"message":"Method not found","code":-32601}}"#)[0]
        else { return XCTFail("error") }
        guard case .ignored = try decode(#"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"deribit_price_index.btc_usd","data":{}}}"#)[0] else {
            return XCTFail("ignored")
        }
    }

    func testMalformedFramesThrowWithAReason() {
        let bad = [
            "not json", "[]", #"{"jsonrpc":"2.0"}"#, #"{"method":"subscription"}"#,
            #"{"method":"subscription","params":{"channel":"ticker.X.raw"}}"#,
            #"{"method":"subscription","params":{"channel":5,"data":{}}}"#,
            #"{"method":"subscription","params":{"channel":"ticker.X.raw","data":{"timestamp":1}}}"#,
            #"{"method":"subscription","params":{"channel":"trades.X.raw","data":{}}}"#,
            #"{"method":"subscription","params":{"channel":"trades.X.raw","data":[{"instrument_name":"X","price":"1"}]}}"#,
            #"{"method":"subscription","params":{"channel":"book.X.raw","data":{"instrument_name":"X","change_id":1,"bids":[["new",1]]}}}"#,
            #"{"method":"subscription","params":{"channel":"book.X.raw","data":{"instrument_name":"X","change_id":1,"bids":[["fly",1,1]]}}}"#,
            #"{"method":"subscription","params":{"channel":"book.X.raw","data":{"instrument_name":"X","bids":[]}}}"#,
        ]
        for frame in bad {
            XCTAssertThrowsError(try decode(frame), frame) { XCTAssertFalse("\($0)".isEmpty) }
        }
        XCTAssertThrowsError(try decode(#"{"method":"subscription","params":{"channel":"ticker.X.raw","data":[1]}}"#)) {
            XCTAssertTrue("\($0)".contains("ticker data is not an object"), "\($0)")
        }
    }

    /// Every frame the real venue sent in cryptofeed's recorded session decodes.
    func testRecordedDeribitSessionDecodes() throws {
        let text = try Fixtures.text("captures/DERIBIT.ws.1.0")
        var frames = 0, events = 0, books = 0
        for line in text.split(separator: "\n") {
            guard !line.contains(" <- "), !line.contains(" <-> "), let colon = line.firstIndex(of: ":") else { continue }
            let json = line[line.index(after: colon)...].drop { $0 == " " }
            frames += 1
            for m in try decode(String(json)) {
                switch m {
                case .event: events += 1
                case .book: books += 1
                default: break
                }
            }
        }
        XCTAssertGreaterThan(frames, 100)
        XCTAssertGreaterThan(events, 10)
        XCTAssertGreaterThan(books, 10)
    }
}
