import Foundation
import HubCore
import Venues
import XCTest

/// Binance spot frames: every message type of Binance's spot stream documentation (the official
/// examples with their `//` comments stripped, and the captured frames), and bad input.
final class BinanceCodecTests: XCTestCase {
    let codec = BinanceCodec()

    func decode(_ s: String) throws -> BinanceMessage {
        var bytes = Array(s.utf8)
        return try bytes.withUnsafeMutableBytes { try codec.decode(UnsafeRawBufferPointer($0)) }
    }

    func testOfficialExamples() throws {
        XCTAssertEqual(try decode(#"{"result": null, "id": 1}"#), .response(id: 1, error: nil))
        XCTAssertEqual(
            try decode(
                #"{"e": "aggTrade", "E": 1672515782136, "s": "BNBBTC", "a": 12345, "p": "0.001", "q": "100", "f": 100, "l": 105, "T": 1672515782136, "m": true, "M": true}"#
            ),
            .trade(symbol: "BNBBTC", price: 0.001, quantity: 100, buyerIsMaker: true, id: 12345, time: 1_672_515_782_136))
        XCTAssertEqual(
            try decode(#"{"e": "trade", "E": 1672515782136, "s": "BNBBTC", "t": 12345, "p": "0.001", "q": "100", "T": 1672515782136, "m": true, "M": true}"#),
            .trade(symbol: "BNBBTC", price: 0.001, quantity: 100, buyerIsMaker: true, id: 12345, time: 1_672_515_782_136))
        XCTAssertEqual(
            try decode(#"{"u": 400900217, "s": "BNBUSDT", "b": "25.35190000", "B": "31.21000000", "a": "25.36520000", "A": "40.66000000"}"#),
            .bookTicker(symbol: "BNBUSDT", bid: 25.3519, bidQty: 31.21, ask: 25.3652, askQty: 40.66, updateId: 400_900_217, time: 0))
        XCTAssertEqual(
            try decode(#"{"e": "depthUpdate", "E": 1672515782136, "s": "BNBBTC", "U": 157, "u": 160, "b": [["0.0024", "10"]], "a": [["0.0026", "100"]]}"#),
            .depth(
                .init(
                    symbol: "BNBBTC", first: 157, last: 160, bids: [PriceLevel(price: 0.0024, amount: 10)], asks: [PriceLevel(price: 0.0026, amount: 100)],
                    time: 1_672_515_782_136)))
        XCTAssertEqual(try decode(#"{"e": "serverShutdown", "E": 1770123456789}"#), .serverShutdown)
        XCTAssertEqual(
            try decode(#"{"code": 2, "msg": "Invalid request: unknown variant", "id": 7}"#), .response(id: 7, error: "2: Invalid request: unknown variant"))
        var snap = Array(#"{"lastUpdateId": 1027024, "bids": [["4.00000000", "431.00000000"]], "asks": [["4.00000200", "12.00000000"]]}"#.utf8)
        XCTAssertEqual(
            try snap.withUnsafeMutableBytes { try codec.snapshot(UnsafeRawBufferPointer($0)) },
            BinanceDepthSnapshot(lastUpdateId: 1_027_024, bids: [PriceLevel(price: 4, amount: 431)], asks: [PriceLevel(price: 4.000002, amount: 12)]))
    }

    func testCapturedCombinedStreamFrames() throws {
        XCTAssertEqual(
            try decode(
                #"{"stream":"nknusdt@bookTicker","data":{"u":499869768,"s":"NKNUSDT","b":"0.35210000","B":"672.00000000","a":"0.35260000","A":"3199.00000000"}}"#
            ),
            .bookTicker(symbol: "NKNUSDT", bid: 0.3521, bidQty: 672, ask: 0.3526, askQty: 3199, updateId: 499_869_768, time: 0))
        XCTAssertEqual(
            try decode(
                #"{"stream":"nknusdt@aggTrade","data":{"e":"aggTrade","E":1633998523963,"s":"NKNUSDT","a":15683430,"p":"0.35280000","q":"58.00000000","f":19862790,"l":19862790,"T":1633998523963,"m":false,"M":true}}"#
            ),
            .trade(symbol: "NKNUSDT", price: 0.3528, quantity: 58, buyerIsMaker: false, id: 15_683_430, time: 1_633_998_523_963))
        guard
            case .depth(let d) = try decode(
                #"{"stream":"nknusdt@depth@100ms","data":{"e":"depthUpdate","E":1633998512568,"s":"NKNUSDT","U":499869753,"u":499869754,"b":[["0.35170000","4265.00000000"]],"a":[["0.35290000","10968.00000000"]]}}"#
            )
        else {
            return XCTFail("depth")
        }
        XCTAssertEqual([d.first, d.last], [499_869_753, 499_869_754])
        XCTAssertEqual(try decode(#"{"stream":"nknusdt@kline_1m","data":{"e":"kline","E":1,"s":"NKNUSDT","k":{}}}"#), .ignored)
    }

    func testBadFramesAreErrorsNotCrashes() {
        for bad in [
            "not json", "[1,2]", #"{"stream":"x@bookTicker","data":{"s":"X","b":"1"}}"#, #"{"e":"depthUpdate","s":"X","U":5,"u":4,"b":[],"a":[]}"#,
            #"{"e":"depthUpdate","s":"X","U":1,"u":2,"b":[["1"]],"a":[]}"#, #"{"e":"aggTrade","s":"X","p":"x","q":"1","m":true,"a":1}"#,
            #"{"stream":"x","data":7}"#,
        ] {
            XCTAssertThrowsError(try decode(bad), bad)
        }
    }

    func testDecimalTextMatchesTheStandardParser() {
        for s in ["0.35210000", "672.00000000", "-1.5", "0", "123456789012345", "0.000000000001", "1234567890.123456789", "1e5", ".5", "5."] {
            var b = Array(s.utf8)
            let fast = b.withUnsafeMutableBytes { DecimalText.parse(UnsafeRawBufferPointer($0)) }
            XCTAssertEqual(fast, Double(s), s)
        }
        var empty: [UInt8] = []
        XCTAssertNil(empty.withUnsafeMutableBytes { DecimalText.parse(UnsafeRawBufferPointer($0)) })
        var junk = Array("1.2.3".utf8)
        XCTAssertNil(junk.withUnsafeMutableBytes { DecimalText.parse(UnsafeRawBufferPointer($0)) })
    }

    func testSymbolsInUnifiedForm() {
        let s = BinanceSymbols(unified: ["BTC/USDT"])
        XCTAssertEqual(s.unified("BTCUSDT"), "BTC/USDT")
        XCTAssertEqual(s.unified("BLZETH"), "BLZ/ETH")
        XCTAssertEqual(s.unified("RUNEEUR"), "RUNE/EUR")
        XCTAssertEqual(s.unified("ETHFDUSD"), "ETH/FDUSD")
        XCTAssertEqual(BinanceSymbols.stream("BTC/USDT"), "btcusdt")
        var c = BinanceFeedConfig()
        c.symbols = ["BTC/USDT"]
        XCTAssertEqual(BinanceFeed.streamPath(c), "/stream?streams=btcusdt@aggTrade/btcusdt@bookTicker/btcusdt@depth@100ms")
    }
}
