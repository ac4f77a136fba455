import Foundation
import HubCore
import HubServer
import HubTesting
import Venues
import XCTest

/// Binance USDⓈ-M futures end to end: the futures simulator (its own depth numbering, snapshots
/// from `/fapi/v1/depth`, the mark price stream) through the adapter into channels, the seeded
/// BTC-USD mapping's perp member giving basis and funding on the composite quote, and the
/// configuration refusing one market's endpoints in the other's section.
final class BinanceFuturesFeedIntegrationTests: XCTestCase {
    func testPerpetualTickersBooksAndBasisOnTheCompositeQuote() throws {
        let hub = try TestHub { c in
            c.feeds.venues.binance.enabled = true
            c.feeds.venues.binance.simulate = true
            c.feeds.venues.binance.simulatorStepMilliseconds = 20
            c.feeds.venues.binance.feed.symbols = ["BTC/USDT"]
            c.feeds.venues.binanceFutures.enabled = true
            c.feeds.venues.binanceFutures.simulate = true
            c.feeds.venues.binanceFutures.simulatorStepMilliseconds = 20
            c.feeds.venues.binanceFutures.feed.symbols = ["BTC/USDT:USDT"]
        }
        defer { hub.stop() }
        try hub.waitUntilLive("binance", "binance-futures", timeout: 15)

        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.binance-futures.BTC/USDT:USDT"}"#)
        c.send(#"{"id":2,"op":"subscribe","channel":"book.binance-futures.BTC/USDT:USDT"}"#)
        c.send(#"{"id":3,"op":"subscribe","channel":"ticker.composite.BTC-USD"}"#)
        func data(_ channel: String, _ what: String, _ ok: @escaping ([String: Any]) -> Bool) throws -> [String: Any] {
            let m = try c.waitFor(timeout: 10, what) { m in
                m["ch"] as? String == channel && (m["data"] as? [String: Any]).map(ok) == true
            }
            return try XCTUnwrap(m["data"] as? [String: Any])
        }
        // The ticker merges the best prices (bookTicker) with mark, index and funding (markPrice@1s).
        let ticker = try data("ticker.binance-futures.BTC/USDT:USDT", "a ticker with funding") { $0["fundingRate"] != nil && $0["bid"] != nil }
        let mark = try XCTUnwrap(ticker["markPrice"] as? Double), index = try XCTUnwrap(ticker["indexPrice"] as? Double)
        XCTAssertEqual(mark, 65_000, accuracy: 1_000)
        XCTAssertLessThan(index, mark, "the simulated perp trades at a premium")
        XCTAssertEqual(ticker["fundingRate"] as? Double ?? 0, 0.0001, accuracy: 0.00002)
        let next = try XCTUnwrap(ticker["nextFundingTime"] as? Int)
        XCTAssertEqual(next % (8 * 3_600_000), 0, "funding at an 8-hour boundary")
        XCTAssertGreaterThan(next, Int(WallClock.milliseconds()))
        let book = try data("book.binance-futures.BTC/USDT:USDT", "a book") { ($0["bids"] as? [[Double]])?.count == 10 }
        let bids = try XCTUnwrap(book["bids"] as? [[Double]]), asks = try XCTUnwrap(book["asks"] as? [[Double]])
        XCTAssertLessThan(bids[0][0], asks[0][0], "never crossed")

        // The composite quote of the spot members carries the perp's basis and funding.
        let q = try data("ticker.composite.BTC-USD", "basis and funding") { $0["basis"] != nil && $0["fundingRate"] != nil }
        XCTAssertEqual(q["bidVenue"] as? String, "binance", "the perp is no spot member")
        let spotMid = try XCTUnwrap(q["mid"] as? Double), basis = try XCTUnwrap(q["basis"] as? Double)
        XCTAssertEqual(try XCTUnwrap(q["annualisedBasis"] as? Double), basis / spotMid * 1095, accuracy: 1e-9)
        let funding = try XCTUnwrap(q["fundingRate"] as? Double)
        XCTAssertEqual(try XCTUnwrap(q["annualisedFunding"] as? Double), funding * 1095, accuracy: 1e-12)
        XCTAssertEqual(q["nextFundingTime"] as? Int, next)
        XCTAssertLessThan(abs(basis), spotMid * 0.01, "both simulated markets start from the same price")

        let streams = try XCTUnwrap(try hub.request("GET", "/api/streams").json as? [String: Any])
        let futures = try XCTUnwrap((streams["sources"] as? [[String: Any]])?.first { $0["name"] as? String == "binance-futures" }, "\(streams)")
        XCTAssertEqual(futures["state"] as? String, "live")
        XCTAssertEqual(futures["gaps"] as? Int, 0, "the futures rule on futures numbering: no false gaps")
        XCTAssertEqual(futures["decodeErrors"] as? Int, 0)
    }

    /// One market's endpoints in the other's section are a configuration error naming the key,
    /// not a stream of false gaps; futures symbols are in ccxt's settled form.
    func testEachMarketRefusesTheOthersEndpointsAndSymbols() {
        func error(_ section: String) -> String {
            let yaml = "auth: {jwtSecret: \(String(repeating: "k", count: 32))}\nfeeds:\n\(section)"
            do {
                _ = try ConfigLoader.parse(yaml, venues: VenueRegistry.all)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(
            error("  binance: {enabled: true, url: \"wss://fstream.binance.com\"}\n"),
            "feeds.binance.url: fstream.binance.com is Binance USDⓈ-M futures: configure it under feeds.binance-futures")
        XCTAssertEqual(
            error("  binance: {enabled: true, restUrl: \"https://fapi.binance.com\"}\n"),
            "feeds.binance.restUrl: fapi.binance.com is Binance USDⓈ-M futures: configure it under feeds.binance-futures")
        XCTAssertEqual(
            error("  binance-futures: {enabled: true, url: \"wss://stream.binance.com:9443\"}\n"),
            "feeds.binance-futures.url: stream.binance.com is Binance spot: configure it under feeds.binance")
        XCTAssertEqual(
            error("  binance-futures: {enabled: true, restUrl: \"https://api3.binance.com\"}\n"),
            "feeds.binance-futures.restUrl: api3.binance.com is Binance spot: configure it under feeds.binance")
        XCTAssertEqual(
            error("  binance: {enabled: true, url: \"wss://fstream-mm.binance.com\"}\n"),
            "feeds.binance.url: fstream-mm.binance.com is Binance USDⓈ-M futures: configure it under feeds.binance-futures")
        XCTAssertEqual(
            error("  binance: {enabled: true, restUrl: \"https://user@testnet.binancefuture.com:443\"}\n"),
            "feeds.binance.restUrl: testnet.binancefuture.com is Binance's futures testnet: configure it under feeds.binance-futures")
        XCTAssertEqual(
            error("  binance-futures: {enabled: true, url: \"wss://stream.binancefuture.com\", restUrl: \"https://testnet.binancefuture.com\"}\n"),
            "accepted", "the futures testnet is futures")
        XCTAssertEqual(
            error("  binance-futures: {enabled: true, restUrl: \"https://dapi.binance.com\"}\n"),
            "feeds.binance-futures.restUrl: dapi.binance.com is Binance COIN-M futures, which StreamHub does not speak")
        XCTAssertEqual(
            error("  binance-futures: {enabled: true, symbols: [BTC/USDT]}\n"),
            "feeds.binance-futures.symbols[0]: 'BTC/USDT' is not a unified symbol like BTC/USDT:USDT")
        XCTAssertEqual(
            error("  binance-futures: {enabled: true, symbols: [\"BTC/USDT:USDC\"]}\n"),
            "feeds.binance-futures.symbols[0]: 'BTC/USDT:USDC' is not a unified symbol like BTC/USDT:USDT")
        XCTAssertEqual(
            error("  binance: {enabled: true, symbols: [\"BTC/USDT:USDT\"]}\n"),
            "feeds.binance.symbols[0]: 'BTC/USDT:USDT' is not a unified symbol like BTC/USDT")
        XCTAssertEqual(error("  binance-futures: {enabled: true, trades: trade}\n"), "feeds.binance-futures.trades: must be aggTrade")
        XCTAssertEqual(
            error("  binance-futures: {enabled: true, snapshotLimit: 5000}\n"),
            "feeds.binance-futures.snapshotLimit: must be one of 5, 10, 20, 50, 100, 500, 1000")
        XCTAssertEqual(error("  binance-futures: {enabled: true, symbols: [\"BTC/USDT:USDT\", \"BTC/USDT:USDT-250328\"]}\n"), "accepted")
        XCTAssertEqual(error("  binance: {enabled: true, url: \"wss://stream.binance.com:9443\"}\n"), "accepted")
        XCTAssertEqual(
            error("  binance: {enabled: false}\nenrichment: {fundingIntervalHours: 0}\n"),
            "enrichment.fundingIntervalHours: must be above 0 and at most 24")
    }
}
