import Foundation
import HubCore
import HubTesting
import XCTest

@testable import Venues

/// Kalshi trade API v2: every message of Kalshi's AsyncAPI and docs (current fixed-point
/// and legacy integer-cent shapes), the signed login, and the adapter's book and `seq` rules.
final class KalshiCodecTests: XCTestCase {
    let codec = KalshiCodec()

    func decode(_ s: String) throws -> KalshiMessage {
        var b = Array(s.utf8)
        return try b.withUnsafeMutableBytes { try codec.decode(UnsafeRawBufferPointer($0)) }
    }

    func testResponses() throws {
        XCTAssertEqual(
            try decode(#"{"id": 1, "type": "subscribed", "msg": {"channel": "orderbook_delta", "sid": 1}}"#),
            .subscribed(id: 1, channel: "orderbook_delta", sid: 1))
        XCTAssertEqual(
            try decode(#"{"id": 123, "sid": 456, "seq": 222, "type": "ok", "msg": {"market_tickers": ["MARKET-1", "MARKET-2", "MARKET-3"]}}"#), .ok(id: 123))
        XCTAssertEqual(
            try decode(#"{"id": 126, "type": "error", "msg": {"code": 9, "msg": "Authentication required"}}"#),
            .error(id: 126, code: 9, message: "Authentication required"))
        XCTAssertEqual(try decode(#"{"id":4,"sid":2,"seq":7,"type":"unsubscribed"}"#), .ok(id: 4))
    }

    func testCurrentFixedPointMessages() throws {
        XCTAssertEqual(
            try decode(
                #"{"type": "orderbook_snapshot", "sid": 2, "seq": 2, "msg": {"market_ticker": "FED-23DEC-T3.00", "market_id": "9b0f6b43-5b68-4f9f-9f02-9a2d1b8ac1a1", "yes_dollars_fp": [["0.0800", "300.00"], ["0.2200", "333.00"]], "no_dollars_fp": [["0.5400", "20.00"], ["0.5600", "146.00"]]}}"#
            ),
            .snapshot(
                sid: 2, seq: 2, market: "FED-23DEC-T3.00", yes: [.init(price: 0.08, amount: 300), .init(price: 0.22, amount: 333)],
                no: [.init(price: 0.54, amount: 20), .init(price: 0.56, amount: 146)]))
        XCTAssertEqual(
            try decode(
                #"{"type": "orderbook_delta", "sid": 2, "seq": 3, "msg": {"market_ticker": "FED-23DEC-T3.00", "market_id": "9b0f6b43-5b68-4f9f-9f02-9a2d1b8ac1a1", "price_dollars": "0.9600", "delta_fp": "-54.00", "side": "yes", "ts": "2022-11-22T20:44:01Z", "ts_ms": 1669149841000}}"#
            ),
            .delta(sid: 2, seq: 3, market: "FED-23DEC-T3.00", price: 0.96, delta: -54, yes: true))
        XCTAssertEqual(
            try decode(
                #"{"type": "ticker", "sid": 11, "msg": {"market_id": "9b0f6b43-5b68-4f9f-9f02-9a2d1b8ac1a1", "market_ticker": "FED-23DEC-T3.00", "price_dollars": "0.4800", "yes_bid_dollars": "0.4500", "yes_ask_dollars": "0.5300", "volume_fp": "33896.00", "open_interest_fp": "20422.00", "dollar_volume": 16948, "dollar_open_interest": 10211, "yes_bid_size_fp": "300.00", "yes_ask_size_fp": "150.00", "last_trade_size_fp": "25.00", "ts": 1669149841, "ts_ms": 1669149841000, "time": "2022-11-22T20:44:01Z"}}"#
            ),
            .ticker(market: "FED-23DEC-T3.00", price: 0.48, yesBid: 0.45, yesAsk: 0.53, volume: 33896, openInterest: 20422, time: 1_669_149_841_000))
        XCTAssertEqual(
            try decode(
                #"{"type": "trade", "sid": 11, "seq": 2, "msg": {"trade_id": "d91bc706-ee49-470d-82d8-11418bda6fed", "market_ticker": "HIGHNY-22DEC23-B53.5", "yes_price_dollars": "0.3600", "no_price_dollars": "0.6400", "count_fp": "136.00", "taker_side": "no", "taker_outcome_side": "no", "taker_book_side": "ask", "is_block_trade": false, "ts": 1669149841, "ts_ms": 1669149841000}}"#
            ),
            .trade(
                sid: 11, seq: 2, id: "d91bc706-ee49-470d-82d8-11418bda6fed", market: "HIGHNY-22DEC23-B53.5", yesPrice: 0.36, count: 136, takerYes: false,
                time: 1_669_149_841_000))
    }

    /// A market with no trade yet: `"price":0` beside `"price_dollars":""` is no last price (and
    /// likewise an empty side of the quote), never a price of 0.
    func testAnEmptyFixedPointPriceIsNoPriceNotZero() throws {
        XCTAssertEqual(
            try decode(
                #"{"type": "ticker", "sid": 11, "msg": {"market_id": "5c0a7d2e-0000-4000-8000-000000000001", "market_ticker": "KXNEW-26DEC31-T1", "price": 0, "yes_bid": 0, "yes_ask": 0, "price_dollars": "", "yes_bid_dollars": "", "yes_ask_dollars": "0.0400", "volume": 0, "volume_fp": "0.00", "open_interest": 0, "open_interest_fp": "", "dollar_volume": 0, "dollar_open_interest": 0, "ts": 1764979200, "ts_ms": 1764979200000}}"#
            ),
            .ticker(
                market: "KXNEW-26DEC31-T1", price: nil, yesBid: nil, yesAsk: 0.04, volume: 0, openInterest: nil, time: 1_764_979_200_000,
                withdrawn: [.yesBid]),
            "a quote side named empty is withdrawn (removed from the channel), a price that never was is simply absent")
        // The legacy cent-only form: 0 ¢ is no price either.
        XCTAssertEqual(
            try decode(
                #"{"type": "ticker", "sid": 11, "msg": {"market_ticker": "KXNEW-26DEC31-T1", "price": 0, "yes_bid": 3, "yes_ask": 0, "volume": 0, "ts": 1}}"#),
            .ticker(market: "KXNEW-26DEC31-T1", price: nil, yesBid: 0.03, yesAsk: nil, volume: 0, openInterest: nil, time: 1000, withdrawn: [.yesAsk]))
        // `null` in a fixed-point key is absent: the cents are read.
        XCTAssertEqual(
            try decode(#"{"type": "ticker", "sid": 11, "msg": {"market_ticker": "M", "price_dollars": null, "price": 41, "ts": 1}}"#),
            .ticker(market: "M", price: 0.41, yesBid: nil, yesAsk: nil, volume: nil, openInterest: nil, time: 1000))
        // Through the adapter: no lastPrice field, the withdrawn bid removed from the channel.
        var config = KalshiFeedConfig()
        config.markets = ["KXNEW-26DEC31-T1"]
        let adapter = KalshiFeed(config: config)
        _ = adapter.connected(now: 1)
        let ticker = feed(
            [
                #"{"type": "ticker", "sid": 11, "msg": {"market_ticker": "KXNEW-26DEC31-T1", "price": 0, "price_dollars": "", "yes_bid": 0, "yes_bid_dollars": "", "yes_ask_dollars": "0.0400", "ts": 1}}"#
            ], into: adapter
        ).events.last
        XCTAssertNil(field(ticker, .lastPrice), "no trade yet: no last price, never 0")
        XCTAssertEqual(field(ticker, .yesAsk), .number(0.04))
        XCTAssertEqual(ticker?.removed, [KalshiField.yesBid.rawValue])
        XCTAssertThrowsError(
            try decode(
                #"{"type": "trade", "sid": 11, "seq": 2, "msg": {"trade_id": "t", "market_ticker": "M", "yes_price": 36, "yes_price_dollars": "", "count_fp": "1.00", "taker_side": "no", "ts": 1}}"#
            ), "a trade without a price is malformed, not a trade at 0 (nor at the cents beside an empty string)")
    }

    func testLegacyIntegerCentMessages() throws {
        // The dual-format example: the fixed-point fields win where present.
        XCTAssertEqual(
            try decode(
                #"{"type":"orderbook_snapshot","sid":2,"seq":2,"msg":{"market_ticker":"FED-23DEC-T3.00","market_id":"9b0f6b43-5b68-4f9f-9f02-9a2d1b8ac1a1","yes":[[8,300],[22,333]],"yes_dollars":[["0.080",300],["0.220",333]],"yes_dollars_fp":[["0.0800","300.00"],["0.2200","333.00"]],"no":[[54,20],[56,146]],"no_dollars":[["0.540",20],["0.560",146]],"no_dollars_fp":[["0.5400","20.00"],["0.5600","146.00"]]}}"#
            ),
            .snapshot(
                sid: 2, seq: 2, market: "FED-23DEC-T3.00", yes: [.init(price: 0.08, amount: 300), .init(price: 0.22, amount: 333)],
                no: [.init(price: 0.54, amount: 20), .init(price: 0.56, amount: 146)]))
        // Integer cents only, and the 3-decimal dollar strings with integer counts.
        XCTAssertEqual(
            try decode(
                #"{"type":"orderbook_snapshot","sid":2,"seq":2,"msg":{"market_ticker":"FED-23DEC-T3.00","yes":[[8,300],[22,333]],"no":[[54,20],[56,146]]}}"#),
            .snapshot(
                sid: 2, seq: 2, market: "FED-23DEC-T3.00", yes: [.init(price: 0.08, amount: 300), .init(price: 0.22, amount: 333)],
                no: [.init(price: 0.54, amount: 20), .init(price: 0.56, amount: 146)]))
        XCTAssertEqual(
            try decode(
                #"{"type":"orderbook_snapshot","sid":2,"seq":2,"msg":{"market_ticker":"FED-23DEC-T3.00","yes_dollars":[["0.080",300]],"no_dollars":[["0.540",20]]}}"#
            ),
            .snapshot(sid: 2, seq: 2, market: "FED-23DEC-T3.00", yes: [.init(price: 0.08, amount: 300)], no: [.init(price: 0.54, amount: 20)]))
        XCTAssertEqual(
            try decode(
                #"{"type":"orderbook_delta","sid":2,"seq":3,"msg":{"market_ticker":"FED-23DEC-T3.00","market_id":"9b0f6b43-5b68-4f9f-9f02-9a2d1b8ac1a1","price":96,"price_dollars":"0.960","delta":-54,"delta_fp":"-54.00","side":"yes","ts":"2022-11-22T20:44:01Z"}}"#
            ),
            .delta(sid: 2, seq: 3, market: "FED-23DEC-T3.00", price: 0.96, delta: -54, yes: true))
        XCTAssertEqual(
            try decode(#"{"type":"orderbook_delta","sid":2,"seq":3,"msg":{"market_ticker":"FED-23DEC-T3.00","price":96,"delta":-54,"side":"no"}}"#),
            .delta(sid: 2, seq: 3, market: "FED-23DEC-T3.00", price: 0.96, delta: -54, yes: false))
        XCTAssertEqual(
            try decode(
                #"{"type":"ticker","sid":11,"msg":{"market_ticker":"FED-23DEC-T3.00","market_id":"9b0f6b43-5b68-4f9f-9f02-9a2d1b8ac1a1","price":48,"yes_bid":45,"yes_ask":53,"price_dollars":"0.480","yes_bid_dollars":"0.450","yes_ask_dollars":"0.530","volume":33896,"volume_fp":"33896.00","open_interest":20422,"open_interest_fp":"20422.00","dollar_volume":16948,"dollar_open_interest":10211,"ts":1669149841,"time":"2022-11-22T20:44:01Z"}}"#
            ),
            .ticker(market: "FED-23DEC-T3.00", price: 0.48, yesBid: 0.45, yesAsk: 0.53, volume: 33896, openInterest: 20422, time: 1_669_149_841_000))
        XCTAssertEqual(
            try decode(
                #"{"type":"ticker","sid":11,"msg":{"market_ticker":"FED-23DEC-T3.00","price":48,"yes_bid":45,"yes_ask":53,"volume":33896,"open_interest":20422,"ts":1669149841}}"#
            ),
            .ticker(market: "FED-23DEC-T3.00", price: 0.48, yesBid: 0.45, yesAsk: 0.53, volume: 33896, openInterest: 20422, time: 1_669_149_841_000))
        XCTAssertEqual(
            try decode(
                #"{"type":"trade","sid":11,"msg":{"trade_id":"d91bc706-ee49-470d-82d8-11418bda6fed","market_ticker":"HIGHNY-22DEC23-B53.5","yes_price":36,"yes_price_dollars":"0.360","no_price":64,"no_price_dollars":"0.640","count":136,"count_fp":"136.00","taker_side":"no","ts":1669149841}}"#
            ),
            .trade(
                sid: 11, seq: nil, id: "d91bc706-ee49-470d-82d8-11418bda6fed", market: "HIGHNY-22DEC23-B53.5", yesPrice: 0.36, count: 136, takerYes: false,
                time: 1_669_149_841_000))
    }

    func testBadMessagesAreErrors() {
        for bad in [
            #"{"type":"orderbook_delta","sid":2,"msg":{"market_ticker":"M","price_dollars":"0.5","delta_fp":"1","side":"yes"}}"#,
            #"{"type":"orderbook_delta","sid":2,"seq":3,"msg":{"market_ticker":"M","price_dollars":"0.5","delta_fp":"1","side":"maybe"}}"#,
            #"{"type":"orderbook_snapshot","sid":2,"seq":3,"msg":{"market_ticker":"M","yes_dollars_fp":[["0.5"]]}}"#,
            #"{"type":"trade","sid":2,"msg":{"market_ticker":"M"}}"#,
            #"{"type":"ticker","sid":2}"#,
            #"{"msg":{}}"#, #"[1,2]"#, #"{"type":"orderbook_delta","#,
        ] {
            XCTAssertThrowsError(try decode(bad), bad)
        }
        XCTAssertEqual(try decode(#"{"type":"market_lifecycle_v2","sid":3,"msg":{"market_ticker":"M"}}"#), .ignored)
    }

    func testSignedLoginVerifies() throws {
        let (priv, pub) = try KalshiAuth.generateKeyPair()
        let auth = try KalshiAuth(keyID: "key-1", privateKeyPEM: priv)
        let headers = Dictionary(uniqueKeysWithValues: try auth.headers(timestampMillis: 1_703_123_456_789))
        XCTAssertEqual(headers["KALSHI-ACCESS-KEY"], "key-1")
        XCTAssertEqual(headers["KALSHI-ACCESS-TIMESTAMP"], "1703123456789")
        XCTAssertEqual(Data(base64Encoded: headers["KALSHI-ACCESS-SIGNATURE"]!)?.count, 256)  // RSA-2048
        XCTAssertTrue(KalshiAuth.verify(publicKeyPEM: pub, timestamp: "1703123456789", signature: headers["KALSHI-ACCESS-SIGNATURE"]!))
        // Another timestamp, path or key does not verify.
        XCTAssertFalse(KalshiAuth.verify(publicKeyPEM: pub, timestamp: "1703123456790", signature: headers["KALSHI-ACCESS-SIGNATURE"]!))
        XCTAssertFalse(
            KalshiAuth.verify(publicKeyPEM: pub, timestamp: "1703123456789", signature: headers["KALSHI-ACCESS-SIGNATURE"]!, path: "/trade-api/v2/portfolio"))
        XCTAssertFalse(
            KalshiAuth.verify(
                publicKeyPEM: try KalshiAuth.generateKeyPair().publicKeyPEM, timestamp: "1703123456789", signature: headers["KALSHI-ACCESS-SIGNATURE"]!))
        XCTAssertEqual(try KalshiAuth.publicKeyPEM(ofPrivate: priv), pub)
        XCTAssertThrowsError(try KalshiAuth(keyID: "k", privateKeyPEM: "not a key"))
        // PSS signatures are randomised: two signatures of the same message differ, both verify.
        let again = Dictionary(uniqueKeysWithValues: try auth.headers(timestampMillis: 1_703_123_456_789))
        XCTAssertNotEqual(again["KALSHI-ACCESS-SIGNATURE"], headers["KALSHI-ACCESS-SIGNATURE"])
    }

    /// The signature as Kalshi's own sample code makes and checks it (Python `cryptography`,
    /// PSS with MGF1-SHA256 and salt of digest length), both ways.
    func testSignatureInteroperatesWithPythonCryptography() throws {
        let python = "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else { throw MissingPrerequisite("\(python) is not available (scripts/setup installs it)") }
        let (priv, pub) = try KalshiAuth.generateKeyPair()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kalshi-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try priv.write(to: dir.appendingPathComponent("key.pem"), atomically: true, encoding: .utf8)
        let ours = Dictionary(uniqueKeysWithValues: try KalshiAuth(keyID: "k", privateKeyPEM: priv).headers(timestampMillis: 1_703_123_456_789))
        let script = """
            import base64, sys
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import padding
            key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), password=None)
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
            key.public_key().verify(base64.b64decode(sys.argv[2]), b"1703123456789GET/trade-api/ws/v2", pss, hashes.SHA256())
            print(base64.b64encode(key.sign(b"1703123456790GET/trade-api/ws/v2", pss, hashes.SHA256())).decode())
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", script, dir.appendingPathComponent("key.pem").path, ours["KALSHI-ACCESS-SIGNATURE"]!]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let errText = String(decoding: e, as: UTF8.self)
        if errText.contains("No module named") { throw MissingPrerequisite("python3-cryptography is not installed (scripts/setup installs it)") }
        XCTAssertEqual(p.terminationStatus, 0, "Python rejected our signature: \(errText)")
        let theirs = String(decoding: o, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(KalshiAuth.verify(publicKeyPEM: pub, timestamp: "1703123456790", signature: theirs), "we reject Python's signature")
    }

    // MARK: Adapter rules

    func feed(_ frames: [String], into adapter: KalshiFeed) -> (events: [RawEvent], actions: [FeedAction]) {
        var events: [RawEvent] = [], actions: [FeedAction] = []
        for f in frames {
            var b = Array(f.utf8)
            actions += b.withUnsafeMutableBytes { adapter.received(UnsafeRawBufferPointer($0), now: 1, wallMicros: 1_000_000) { events.append($0) } }
        }
        return (events, actions)
    }

    func field(_ e: RawEvent?, _ f: KalshiField) -> PropertyValue? { e?.fields.first { $0.key == f.rawValue }?.value }

    func testYesCentricBookAndSeqGapResubscribes() {
        var config = KalshiFeedConfig()
        config.markets = ["FED-23DEC-T3.00"]
        let adapter = KalshiFeed(config: config)
        let subscribe = adapter.connected(now: 1)
        XCTAssertEqual(
            subscribe,
            [
                .send(#"{"id":1,"cmd":"subscribe","params":{"channels":["orderbook_delta"],"market_tickers":["FED-23DEC-T3.00"]}}"#),
                .send(#"{"id":2,"cmd":"subscribe","params":{"channels":["ticker","trade"],"market_tickers":["FED-23DEC-T3.00"]}}"#),
            ])
        var out = feed(
            [
                #"{"id":1,"type":"subscribed","msg":{"channel":"orderbook_delta","sid":1}}"#,
                #"{"type":"orderbook_snapshot","sid":1,"seq":1,"msg":{"market_ticker":"FED-23DEC-T3.00","yes_dollars_fp":[["0.0800","300.00"],["0.2200","333.00"]],"no_dollars_fp":[["0.5400","20.00"],["0.5600","146.00"]]}}"#,
            ], into: adapter)
        XCTAssertEqual(adapter.status.state, .live)
        let book = out.events.first { $0.stream == .book }
        // YES bids as they are; YES asks are 1 − NO bids: 0.44 (from NO 0.56) then 0.46.
        XCTAssertEqual(field(book, .bids), .levels([.init(price: 0.22, amount: 333), .init(price: 0.08, amount: 300)]))
        XCTAssertEqual(field(book, .asks), .levels([.init(price: 0.44, amount: 146), .init(price: 0.46, amount: 20)]))
        let outcome = out.events.last { $0.stream == .outcomes }
        XCTAssertEqual(field(outcome, .yesBid), .number(0.22))
        XCTAssertEqual(field(outcome, .yesAsk), .number(0.44))
        XCTAssertEqual(field(outcome, .noBid), .number(0.56))
        XCTAssertEqual(field(outcome, .noAsk), .number(0.78))
        // A delta adds to the resting count; reaching zero removes the level.
        out = feed(
            [
                #"{"type":"orderbook_delta","sid":1,"seq":2,"msg":{"market_ticker":"FED-23DEC-T3.00","price_dollars":"0.2200","delta_fp":"-333.00","side":"yes"}}"#
            ], into: adapter)
        XCTAssertEqual(field(out.events.first { $0.stream == .book }, .bids), .levels([.init(price: 0.08, amount: 300)]))
        out = feed([#"{"type":"orderbook_delta","sid":1,"seq":3,"msg":{"market_ticker":"FED-23DEC-T3.00","price":56,"delta":4,"side":"no"}}"#], into: adapter)
        XCTAssertEqual(field(out.events.first { $0.stream == .book }, .asks), .levels([.init(price: 0.44, amount: 150), .init(price: 0.46, amount: 20)]))
        // seq 5 after 3: a gap — counted, the book dropped, the subscription replaced.
        out = feed(
            [#"{"type":"orderbook_delta","sid":1,"seq":5,"msg":{"market_ticker":"FED-23DEC-T3.00","price_dollars":"0.0800","delta_fp":"1.00","side":"yes"}}"#],
            into: adapter)
        XCTAssertEqual(adapter.status.gaps, 1)
        XCTAssertTrue(out.events.isEmpty)
        XCTAssertEqual(
            out.actions,
            [
                .send(#"{"id":3,"cmd":"unsubscribe","params":{"sids":[1]}}"#),
                .send(#"{"id":4,"cmd":"subscribe","params":{"channels":["orderbook_delta"],"market_tickers":["FED-23DEC-T3.00"]}}"#),
            ])
        XCTAssertEqual(adapter.status.state, .degraded)
        XCTAssertEqual(adapter.resyncing, ["FED-23DEC-T3.00"])
        // The new subscription's snapshot rebuilds it.
        out = feed(
            [
                #"{"id":3,"sid":1,"seq":5,"type":"unsubscribed"}"#,
                #"{"id":4,"type":"subscribed","msg":{"channel":"orderbook_delta","sid":3}}"#,
                #"{"type":"orderbook_snapshot","sid":3,"seq":1,"msg":{"market_ticker":"FED-23DEC-T3.00","yes_dollars_fp":[["0.3000","10.00"]]}}"#,
            ], into: adapter)
        XCTAssertEqual(adapter.status.state, .live)
        XCTAssertEqual(adapter.status.resyncs, 1)
        XCTAssertEqual(field(out.events.first { $0.stream == .book }, .asks), .levels([]))
        // No NO bids: no YES ask and no NO bid — withdrawn from the outcome, not left at old values.
        XCTAssertEqual(out.events.last { $0.stream == .outcomes }?.removed, [KalshiField.noBid.rawValue, KalshiField.yesAsk.rawValue])
        // A late delta of the old subscription is ignored: the new book is not double-counted.
        out = feed(
            [#"{"type":"orderbook_delta","sid":1,"seq":6,"msg":{"market_ticker":"FED-23DEC-T3.00","price_dollars":"0.3000","delta_fp":"10.00","side":"yes"}}"#],
            into: adapter)
        XCTAssertTrue(out.events.isEmpty)
        XCTAssertEqual(adapter.status.gaps, 1)
        // Trades: price, count, taker side; a trade seq gap is counted (trades cannot be refetched).
        out = feed(
            [
                #"{"type":"trade","sid":2,"seq":1,"msg":{"trade_id":"t1","market_ticker":"FED-23DEC-T3.00","yes_price_dollars":"0.3600","count_fp":"5.00","taker_side":"yes","ts":1669149841}}"#,
                #"{"type":"trade","sid":2,"seq":3,"msg":{"trade_id":"t3","market_ticker":"FED-23DEC-T3.00","yes_price_dollars":"0.3700","count_fp":"2.00","taker_side":"no","ts":1669149842}}"#,
            ], into: adapter)
        let trades = out.events.filter { $0.stream == .trades }
        XCTAssertEqual(trades.count, 2)
        XCTAssertEqual(field(trades[0], .side), .string("buy"))
        XCTAssertEqual(field(trades[1], .side), .string("sell"))
        XCTAssertEqual(field(trades[1], .amount), .number(2))
        XCTAssertEqual(adapter.status.gaps, 2)
        // Garbage is counted, never fatal.
        _ = feed(["{nope"], into: adapter)
        XCTAssertEqual(adapter.status.decodeErrors, 1)
        XCTAssertEqual(adapter.status.state, .live)
    }

    func testARefusedMarketIsSetAsideAndRetried() {
        var config = KalshiFeedConfig()
        config.markets = ["A", "GONE"]
        let adapter = KalshiFeed(config: config)
        XCTAssertEqual(adapter.connected(now: 0).count, 4, "per market: a book subscription, a ticker and trade one")
        _ = feed(
            [
                #"{"id":1,"type":"subscribed","msg":{"channel":"orderbook_delta","sid":1}}"#,
                #"{"id":3,"type":"error","msg":{"code":16,"msg":"Market not found"}}"#,
                #"{"type":"orderbook_snapshot","sid":1,"seq":1,"msg":{"market_ticker":"A","yes_dollars_fp":[["0.4000","10.00"]]}}"#,
            ], into: adapter)
        XCTAssertEqual(adapter.status.state, .live, "A flows; GONE is set aside")
        XCTAssertEqual(adapter.refusedMarkets, ["GONE"])
        XCTAssertEqual(adapter.status.lastError, "GONE: venue error 16: Market not found; retrying in 60 s")
        // A snapshot of a market on another (unknown) sid is ignored.
        let stray = feed([#"{"type":"orderbook_snapshot","sid":9,"seq":1,"msg":{"market_ticker":"GONE"}}"#], into: adapter)
        XCTAssertTrue(stray.events.isEmpty)
        // A minute later it is asked for again.
        XCTAssertEqual(adapter.timer(now: 61_000_000_000).count, 2)
        XCTAssertEqual(adapter.refusedMarkets, [])
    }

    func testStaleConnectionAndMissingSnapshotsReconnect() {
        var config = KalshiFeedConfig()
        config.markets = ["M"]
        config.staleAfterSeconds = 20
        let adapter = KalshiFeed(config: config)
        _ = adapter.connected(now: 0)
        guard case .reconnect = adapter.timer(now: 16_000_000_000).first else { return XCTFail("no snapshot within 15 s") }
        _ = feed(
            [
                #"{"id":1,"type":"subscribed","msg":{"channel":"orderbook_delta","sid":1}}"#,
                #"{"type":"orderbook_snapshot","sid":1,"seq":1,"msg":{"market_ticker":"M"}}"#,
            ], into: adapter)
        XCTAssertEqual(adapter.status.state, .live)
        XCTAssertEqual(adapter.timer(now: 2_000_000_000), [])
        // Quiet for half the stale limit: a probe, whose answer counts as a heartbeat.
        XCTAssertEqual(adapter.timer(now: 11_000_000_000), [.send(#"{"id":3,"cmd":"list_subscriptions","params":{}}"#)])
        _ = feed([#"{"id":3,"type":"ok","msg":[{"channel":"orderbook_delta","sid":1}]}"#], into: adapter)
        XCTAssertEqual(adapter.status.heartbeats, 1)
        guard case .reconnect = adapter.timer(now: 30_000_000_000).first else { return XCTFail("stale: the probe was not answered either") }
    }
}
