import Foundation
import HubCore
import Venues
import XCTest

/// Binance USDⓈ-M futures on frames shaped exactly like the venue's documented ones
/// (developers.binance.com, USDⓈ-M futures WebSocket market streams): the shapes futures add, the
/// futures depth rule (`pu` = previous `u`; the first event after a snapshot covers its
/// `lastUpdateId`), ccxt's `BTC/USDT:USDT` symbols, and the mark price stream's funding.
final class BinanceFuturesTests: XCTestCase {
    func decode(_ text: String) throws -> BinanceMessage {
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBytes { try BinanceCodec().decode(UnsafeRawBufferPointer($0)) }
    }

    func testTheFramesFuturesAddDecode() throws {
        // Depth: the transaction time and the previous event's last id (`pu`).
        guard
            case .depth(let d) = try decode(
                #"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":123456789,"T":123456788,"s":"BTCUSDT","U":157,"u":160,"pu":149,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}}"#
            )
        else { return XCTFail("depth") }
        XCTAssertEqual(d.first, 157)
        XCTAssertEqual(d.last, 160)
        XCTAssertEqual(d.previous, 149)
        XCTAssertEqual(d.bids, [PriceLevel(price: 0.0024, amount: 10)])
        // bookTicker carries an event type and times on futures.
        XCTAssertEqual(
            try decode(
                #"{"stream":"bnbusdt@bookTicker","data":{"e":"bookTicker","u":400900217,"E":1568014460893,"T":1568014460891,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}}"#
            ),
            .bookTicker(symbol: "BNBUSDT", bid: 25.3519, bidQty: 31.21, ask: 25.3652, askQty: 40.66, updateId: 400_900_217, time: 1_568_014_460_891))
        // The mark price stream of a perpetual: mark, index, funding rate and next funding time.
        XCTAssertEqual(
            try decode(
                #"{"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}}"#
            ),
            .markPrice(
                .init(
                    symbol: "BTCUSDT", mark: 11794.15, index: 11784.62659091, fundingRate: 0.00038167, nextFundingTime: 1_562_306_400_000,
                    time: 1_562_305_380_000)))
        // A delivery contract has no funding: "r":"" and "T":0 are no value, never 0.
        guard
            case .markPrice(let delivery) = try decode(
                #"{"stream":"btcusdt_250328@markPrice@1s","data":{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT_250328","p":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"","T":0}}"#
            )
        else { return XCTFail("mark price") }
        XCTAssertNil(delivery.fundingRate)
        XCTAssertNil(delivery.nextFundingTime)
        XCTAssertEqual(delivery.index, 11784.62659091)
        XCTAssertThrowsError(try decode(#"{"stream":"x@depth","data":{"e":"depthUpdate","s":"X","U":1,"u":2,"pu":"one","b":[],"a":[]}}"#))
        XCTAssertThrowsError(try decode(#"{"stream":"x@markPrice","data":{"e":"markPriceUpdate","s":"X","p":"","i":"1"}}"#))
    }

    func event(_ first: UInt64, _ last: UInt64, pu: UInt64?, bid: Double? = nil) -> BinanceMessage.DepthUpdate {
        .init(symbol: "X", first: first, last: last, bids: bid.map { [PriceLevel(price: $0, amount: 1)] } ?? [], asks: [], time: 0, previous: pu)
    }

    /// The futures procedure: drop buffered events with `u` < `lastUpdateId`, the first applied
    /// covers `lastUpdateId` (`U` ≤ id ≤ `u`), then each event's `pu` is the previous `u` — ids
    /// need not follow on. Spot's rule on the same events sees a gap at every skip.
    func testTheFuturesDepthRule() {
        var s = BinanceDepthSync(chainsByPrevious: true)
        XCTAssertEqual(s.apply(event(100, 110, pu: 90, bid: 1)), .buffered)
        XCTAssertEqual(s.apply(event(113, 120, pu: 110, bid: 2)), .buffered)
        XCTAssertEqual(s.apply(event(121, 125, pu: 120, bid: 3)), .buffered)
        let snapshot = BinanceDepthSnapshot(lastUpdateId: 115, bids: [PriceLevel(price: 0.5, amount: 1)], asks: [])
        XCTAssertEqual(s.snapshot(snapshot), .synchronised(replayed: 2), "100–110 dropped; 113–120 covers 115; 121–125 chains on")
        XCTAssertEqual(s.book.bids.map(\.price), [3, 2, 0.5])
        XCTAssertEqual(s.lastUpdateId, 125)
        XCTAssertEqual(s.apply(event(128, 130, pu: 125)), .applied, "U skips past 126: futures ids need not follow on")
        XCTAssertEqual(s.apply(event(128, 130, pu: 125)), .stale, "a duplicate")
        XCTAssertEqual(s.apply(event(133, 140, pu: 131)), .gap(expected: 130, got: 131), "the event ending at 131 was lost")
        XCTAssertEqual(s.state, .awaitingSnapshot)
        XCTAssertTrue(s.book.bids.isEmpty)

        // Spot's rule (U = last u + 1) on futures events: a false gap at the first skip.
        var spot = BinanceDepthSync()
        XCTAssertEqual(spot.snapshot(BinanceDepthSnapshot(lastUpdateId: 125, bids: [], asks: [])), .synchronised(replayed: 0))
        XCTAssertEqual(spot.apply(event(121, 127, pu: 120)), .applied)
        XCTAssertEqual(spot.apply(event(130, 131, pu: 127)), .gap(expected: 128, got: 130))
    }

    func testTheFirstEventAfterAFuturesSnapshotMustCoverIt() {
        // The snapshot came before any event: the next one must cover 200 itself.
        var s = BinanceDepthSync(chainsByPrevious: true)
        XCTAssertEqual(s.snapshot(BinanceDepthSnapshot(lastUpdateId: 200, bids: [], asks: [])), .synchronised(replayed: 0))
        XCTAssertEqual(s.apply(event(190, 199, pu: 185)), .stale, "older than the snapshot")
        XCTAssertEqual(s.apply(event(199, 203, pu: 198)), .applied, "covers 200; its pu is not checked")
        XCTAssertEqual(s.apply(event(207, 209, pu: 203)), .applied)
        var missed = BinanceDepthSync(chainsByPrevious: true)
        _ = missed.snapshot(BinanceDepthSnapshot(lastUpdateId: 200, bids: [], asks: []))
        // The stream's first event starts after the snapshot: the snapshot is older than the
        // stream reaches back — another snapshot, not a gap; the event waits for it.
        guard case .refetch = missed.apply(event(202, 205, pu: 201)) else { return XCTFail("must refetch") }
        XCTAssertEqual(missed.state, .awaitingSnapshot)
        XCTAssertEqual(missed.snapshot(BinanceDepthSnapshot(lastUpdateId: 203, bids: [], asks: [])), .synchronised(replayed: 1))
        // A snapshot older than everything buffered is fetched again.
        var old = BinanceDepthSync(chainsByPrevious: true)
        _ = old.apply(event(300, 305, pu: 290))
        guard case .refetch = old.snapshot(BinanceDepthSnapshot(lastUpdateId: 250, bids: [], asks: [])) else { return XCTFail("must refetch") }
        XCTAssertEqual(old.snapshot(BinanceDepthSnapshot(lastUpdateId: 302, bids: [], asks: [])), .synchronised(replayed: 1))
        // A buffered chain broken after the snapshot: a gap, the rest kept for the next snapshot.
        var broken = BinanceDepthSync(chainsByPrevious: true)
        _ = broken.apply(event(400, 410, pu: 399))
        _ = broken.apply(event(415, 420, pu: 412))
        XCTAssertEqual(broken.snapshot(BinanceDepthSnapshot(lastUpdateId: 405, bids: [], asks: [])), .gap(expected: 410, got: 412))
        XCTAssertEqual(broken.buffered, 1)
    }

    func testSymbolsInCcxtForm() {
        XCTAssertEqual(BinanceSymbols.venue("BTC/USDT:USDT"), "BTCUSDT")
        XCTAssertEqual(BinanceSymbols.venue("BTC/USDT:USDT-250328"), "BTCUSDT_250328")
        XCTAssertEqual(BinanceSymbols.stream("BTC/USDT:USDT-250328"), "btcusdt_250328")
        let futures = BinanceSymbols(settles: true)
        XCTAssertEqual(futures.unified("ETHUSDT"), "ETH/USDT:USDT")
        XCTAssertEqual(futures.unified("BTCUSDC"), "BTC/USDC:USDC")
        XCTAssertEqual(futures.unified("BTCUSDT_250328"), "BTC/USDT:USDT-250328")
        XCTAssertEqual(BinanceSymbols().unified("BTCUSDT"), "BTC/USDT")
        XCTAssertEqual(BinanceSymbols(unified: ["1000PEPE/USDT:USDT"], settles: true).unified("1000PEPEUSDT"), "1000PEPE/USDT:USDT")
    }

    /// One futures session through the adapter: snapshots from `/fapi/v1/depth`, books of
    /// `BTC/USDT:USDT`, tickers with the venue's transaction time, mark price and funding.
    func testAFuturesSessionThroughTheAdapter() throws {
        var config = BinanceFeedConfig(market: .usdm)
        config.symbols = ["BTC/USDT:USDT", "BTC/USDT:USDT-250328"]
        XCTAssertEqual(
            BinanceFeed.streamPath(config),
            "/stream?streams=btcusdt@aggTrade/btcusdt@bookTicker/btcusdt@depth@100ms/btcusdt@markPrice@1s"
                + "/btcusdt_250328@aggTrade/btcusdt_250328@bookTicker/btcusdt_250328@depth@100ms/btcusdt_250328@markPrice@1s")
        let feed = BinanceFeed(config: config)
        XCTAssertEqual(feed.source, "binance-futures")
        var tags: [String: String] = [:]
        for case .fetch(let url, let tag) in feed.connected(now: 1) {
            XCTAssertTrue(url.hasPrefix("https://fapi.binance.com/fapi/v1/depth?symbol="), url)
            tags[String(url.split(separator: "=")[1].split(separator: "&")[0])] = tag
        }
        XCTAssertEqual(tags.keys.sorted(), ["BTCUSDT", "BTCUSDT_250328"])
        var events: [RawEvent] = []
        func receive(_ text: String, _ now: UInt64) {
            var bytes = Array(text.utf8)
            _ = bytes.withUnsafeMutableBytes { feed.received(UnsafeRawBufferPointer($0), now: now, wallMicros: 5_000_000) { events.append($0) } }
        }
        receive(
            #"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1700000000100,"T":1700000000099,"s":"BTCUSDT","U":5000,"u":5004,"pu":4990,"b":[["37000.10","2.000"]],"a":[["37000.20","1.500"]]}}"#,
            2)
        let snapshot = #"{"lastUpdateId":5002,"E":1700000000105,"T":1700000000101,"bids":[["37000.00","4.000"]],"asks":[["37000.30","3.000"]]}"#
        _ = feed.fetched(tag: try XCTUnwrap(tags["BTCUSDT"]), .response(status: 200, body: Array(snapshot.utf8)), now: 3, wallMicros: 5_000_000) {
            events.append($0)
        }
        receive(
            #"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1700000000200,"T":1700000000199,"s":"BTCUSDT","U":5007,"u":5009,"pu":5004,"b":[["37000.10","0"]],"a":[]}}"#,
            4)
        receive(
            #"{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":5009,"E":1700000000201,"T":1700000000199,"s":"BTCUSDT","b":"37000.00","B":"4.000","a":"37000.20","A":"1.500"}}"#,
            5)
        receive(
            #"{"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":1700000001000,"s":"BTCUSDT","p":"37000.12000000","i":"36990.50000000","P":"36991.00000000","r":"0.00010000","T":1700006400000}}"#,
            6)
        receive(
            #"{"stream":"btcusdt_250328@markPrice@1s","data":{"e":"markPriceUpdate","E":1700000001000,"s":"BTCUSDT_250328","p":"37500.00000000","i":"36990.50000000","P":"36991.00000000","r":"","T":0}}"#,
            7)
        XCTAssertEqual(feed.status.gaps, 0)
        XCTAssertEqual(feed.status.decodeErrors, 0)
        let books = events.filter { $0.stream == .book }
        XCTAssertEqual(books.map(\.instrument), ["BTC/USDT:USDT", "BTC/USDT:USDT"])
        XCTAssertEqual(books.last?.sequence, 5009)
        XCTAssertEqual(feed.book("BTCUSDT")?.bids.map(\.price), [37000.00], "the 37000.10 bid was removed")
        XCTAssertEqual(feed.book("BTCUSDT")?.asks.map(\.price), [37000.20, 37000.30])
        let tickers = events.filter { $0.stream == .ticker }
        XCTAssertEqual(tickers.count, 3)
        XCTAssertEqual(tickers[0].exchangeTime, 1_700_000_000_199, "the transaction time")
        let schema = BinanceField.schema(.usdm)
        func fields(_ e: RawEvent) -> [String: PropertyValue] {
            Dictionary(uniqueKeysWithValues: e.fields.map { (schema.fields[Int($0.key)].property, $0.value) })
        }
        XCTAssertEqual(
            fields(tickers[1]),
            ["markPrice": .number(37000.12), "indexPrice": .number(36990.5), "fundingRate": .number(0.0001), "nextFundingTime": .integer(1_700_006_400_000)])
        XCTAssertEqual(tickers[1].instrument, "BTC/USDT:USDT")
        XCTAssertEqual(fields(tickers[2]), ["markPrice": .number(37500), "indexPrice": .number(36990.5)], "a delivery contract: no funding")
        XCTAssertEqual(tickers[2].instrument, "BTC/USDT:USDT-250328")
        XCTAssertEqual(feed.status.state, .live)
        XCTAssertEqual(feed.status.waiting, ["BTC/USDT:USDT-250328"], "no snapshot for the delivery contract yet")
    }

    /// Depth events of the other market are refused with a message that names the section to use,
    /// never applied (spot's rule would read futures ids as a gap on every event).
    func testOneMarketsDepthOnTheOthersVenueIsAnErrorNotAGap() {
        let futuresDepth =
            #"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":157,"u":160,"pu":149,"b":[],"a":[]}}"#
        let spotDepth = #"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":157,"u":160,"b":[],"a":[]}}"#
        for (market, frame, advice) in [(BinanceMarket.spot, futuresDepth, "feeds.binance-futures"), (.usdm, spotDepth, "feeds.binance ")] {
            var config = BinanceFeedConfig(market: market)
            config.symbols = [market.symbolExample]
            let feed = BinanceFeed(config: config)
            _ = feed.connected(now: 1)
            for i in 0..<3 {
                var bytes = Array(frame.utf8)
                _ = bytes.withUnsafeMutableBytes { feed.received(UnsafeRawBufferPointer($0), now: UInt64(2 + i), wallMicros: 0) { _ in } }
            }
            XCTAssertEqual(feed.status.decodeErrors, 3, market.id)
            XCTAssertEqual(feed.status.gaps, 0, market.id)
            XCTAssertTrue(feed.status.lastError?.contains(advice) == true, "\(market.id): \(feed.status.lastError ?? "")")
        }
    }
}
