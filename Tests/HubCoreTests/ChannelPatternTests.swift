import HubCore
import XCTest

final class ChannelPatternTests: XCTestCase {
    func testParsesExactNamesAndWildcards() throws {
        let p = try ChannelPattern(parsing: "ticker.deribit.BTC-PERPETUAL")
        XCTAssertTrue(p.isExact)
        XCTAssertEqual(p.instrument, "BTC-PERPETUAL")
        let w = try ChannelPattern(parsing: "*.deribit.*")
        XCTAssertNil(w.stream)
        XCTAssertEqual(w.venue, "deribit")
        XCTAssertFalse(w.isExact)
        XCTAssertEqual(w.description, "*.deribit.*")
        let dotted = try ChannelPattern(parsing: "odds.orca.EPL.2026.ARS-CHE")
        XCTAssertEqual(dotted.instrument, "EPL.2026.ARS-CHE", "the instrument is everything after the second dot")
        XCTAssertEqual(try ChannelPattern(parsing: "ticker.binance.BTC/USDT").instrument, "BTC/USDT")
    }

    func testRejectsMalformedNames() {
        for bad in [
            "", "ticker", "ticker.deribit", "ticker..X", ".deribit.X", "ticker.deribit.", "Ticker.deribit.X",
            "ticker.der ibit.X", "ticker.deribit.a b", "ticker.deribit.a*b", "ticker.deribit.\"x", "t*.deribit.X",
            "ticker.deribit." + String(repeating: "x", count: 129), String(repeating: "s", count: 33) + ".v.i",
        ] {
            XCTAssertThrowsError(try ChannelPattern(parsing: bad), bad)
        }
        XCTAssertThrowsError(try ChannelPattern(parsing: "ticker.*.X", allowWildcards: false))
    }

    func testMatchesPerSegment() throws {
        let key = ChannelKey(stream: .ticker, source: "deribit", instrument: "ETH-PERPETUAL")
        XCTAssertTrue(try ChannelPattern(parsing: "ticker.deribit.*").matches(key))
        XCTAssertTrue(try ChannelPattern(parsing: "*.*.ETH-PERPETUAL").matches(key))
        XCTAssertTrue(try ChannelPattern(parsing: "*.*.*").matches(key))
        XCTAssertFalse(try ChannelPattern(parsing: "book.deribit.*").matches(key))
        XCTAssertFalse(try ChannelPattern(parsing: "ticker.binance.*").matches(key))
        XCTAssertFalse(try ChannelPattern(parsing: "ticker.deribit.ETH").matches(key))
        XCTAssertEqual(key.name, "ticker.deribit.ETH-PERPETUAL")
    }

    func testStreamDelivery() {
        XCTAssertEqual(StreamKind.ticker.delivery, .state)
        XCTAssertEqual(StreamKind.book.delivery, .state)
        XCTAssertEqual(StreamKind.trades.delivery, .event)
        XCTAssertEqual(StreamKind.arb.delivery, .event)
    }
}
