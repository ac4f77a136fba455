import HubCore
import Venues
import XCTest

final class MarketModelTests: XCTestCase {
    func testOrderBookKeepsSidesSortedAndRemovesZeroLevels() {
        var book = OrderBook()
        for (p, a) in [(100.0, 1.0), (102, 2), (101, 3)] { book.set(.bid, price: p, amount: a) }
        for (p, a) in [(105.0, 1.0), (103, 2), (104, 3)] { book.set(.ask, price: p, amount: a) }
        XCTAssertEqual(book.bids.map(\.price), [102, 101, 100])
        XCTAssertEqual(book.asks.map(\.price), [103, 104, 105])
        book.set(.bid, price: 101, amount: 9)
        XCTAssertEqual(book.bids[1].amount, 9)
        book.set(.bid, price: 102, amount: 0)
        book.set(.ask, price: 999, amount: 0)
        XCTAssertEqual(book.bids.map(\.price), [101, 100])
        XCTAssertEqual(book.top(.ask, 2).map(\.price), [103, 104])
        XCTAssertFalse(book.isCrossed)
        book.set(.bid, price: 103.5, amount: 1)
        XCTAssertTrue(book.isCrossed)
        book.clear()
        XCTAssertTrue(book.bids.isEmpty && book.asks.isEmpty)
    }

    func testBackoffGrowsWithJitterUpToTheCapAndResets() {
        var b = Backoff(base: 1, cap: 8)
        XCTAssertEqual(b.next(random: { $0.upperBound }), 1)
        XCTAssertEqual(b.next(random: { $0.upperBound }), 2)
        XCTAssertEqual(b.next(random: { $0.upperBound }), 4)
        XCTAssertEqual(b.next(random: { $0.upperBound }), 8)
        XCTAssertEqual(b.next(random: { $0.upperBound }), 8)
        XCTAssertEqual(b.next(random: { $0.lowerBound }), 0.05, "never a zero delay")
        b.reset()
        XCTAssertEqual(b.attempt, 0)
        for _ in 0..<50 { XCTAssertLessThanOrEqual(b.next(), 8) }
    }

    func testInstrumentNames() {
        let p = DeribitInstrument(name: "BTC-PERPETUAL")
        XCTAssertEqual(p?.kind, .perpetual)
        XCTAssertEqual(p?.currency, "BTC")
        let o = DeribitInstrument(name: "ETH-30JUL21-2800-C")
        XCTAssertEqual(o?.kind, .option)
        XCTAssertEqual(o?.strike, 2800)
        XCTAssertEqual(o?.optionType, "call")
        XCTAssertEqual(o?.expiry, 1_627_632_000_000)
        XCTAssertEqual(DeribitInstrument(name: "XRP_USDC-30JUN23-0d625-C")?.strike, 0.625)
        XCTAssertEqual(DeribitInstrument(name: "BTC-25MAR22")?.kind, .future)
        XCTAssertEqual(DeribitInstrument(name: "BTC_USDC")?.kind, .spot)
        for bad in ["", "-PERPETUAL", "BTC-32JAN21-1-C", "BTC-1FOO21-1-C", "BTC-1JAN21-x-C", "BTC-1JAN21-1-X", "A-B-C"] {
            XCTAssertNil(DeribitInstrument(name: bad), bad)
        }
        XCTAssertEqual(DeribitInstrument.expiryCode(year: 2026, month: 12, day: 4), "4DEC26")
        XCTAssertEqual(CivilDate.days(year: 1970, month: 1, day: 1), 0)
        XCTAssertEqual(CivilDate.civil(days: CivilDate.days(year: 2024, month: 2, day: 29)).day, 29)
    }

    func testBlackScholesMatchesPutCallParityAndKnownValues() {
        let c = BlackScholes(call: true, spot: 100, strike: 100, years: 1, volatility: 0.2, rate: 0.05)
        let p = BlackScholes(call: false, spot: 100, strike: 100, years: 1, volatility: 0.2, rate: 0.05)
        XCTAssertEqual(c.price, 10.4506, accuracy: 1e-4)  // Hull's textbook value
        XCTAssertEqual(p.price, 5.5735, accuracy: 1e-4)
        XCTAssertEqual(c.price - p.price, 100 - 100 * _exp(-0.05), accuracy: 1e-9)
        XCTAssertEqual(c.delta - p.delta, 1, accuracy: 1e-12)
        XCTAssertEqual(c.gamma, p.gamma, accuracy: 1e-12)
        XCTAssertEqual(c.vega, 0.3752, accuracy: 1e-4)
    }

    /// The simulator's frames decode with the adapter's codec, and a snapshot plus the change
    /// stream rebuilds exactly the simulator's book.
    func testSimulatedFramesRoundTripAndChangesRebuildTheBook() throws {
        let market = DeribitMarket(seed: 7, start: 1_795_000_000_000)
        XCTAssertEqual(market.names.count, 12, "2 perpetuals, 6 BTC and 4 ETH options")
        let codec = DeribitCodec()
        let inst = try XCTUnwrap(market.instruments["BTC-PERPETUAL"])
        var book = OrderBook()
        var last: Int64 = 0
        func apply(_ data: [UInt8], _ channel: String) throws {
            let frame = DeribitFrames.notification(channel: channel, data: data)
            try frame.withUnsafeBytes { bytes in
                try codec.decode(bytes, receiveTime: 0) { m in
                    guard case .book(let u) = m else { return XCTFail("not a book") }
                    if !u.isSnapshot { XCTAssertEqual(u.prevChangeID, last) }
                    last = u.changeID
                    for l in u.bids { book.set(.bid, price: l.price, amount: l.amount) }
                    for l in u.asks { book.set(.ask, price: l.price, amount: l.amount) }
                }
            }
        }
        try apply(DeribitFrames.bookData(snapshotOf: inst, timestamp: market.now), "book.BTC-PERPETUAL.100ms")
        var tickers = 0, trades = 0
        for step in 1...200 {
            let s = market.step(to: 1_795_000_000_000 + Int64(step) * 100)
            for change in s.books where change.instrument == "BTC-PERPETUAL" {
                try apply(DeribitFrames.bookData(change: change), "book.BTC-PERPETUAL.100ms")
            }
            for name in s.tickers {
                let frame = DeribitFrames.notification(
                    channel: "ticker.\(name).100ms", data: DeribitFrames.tickerData(market.instruments[name]!, market: market))
                try frame.withUnsafeBytes { try codec.decode($0, receiveTime: 0) { if case .event = $0 { tickers += 1 } } }
            }
            for (name, list) in s.trades {
                let frame = DeribitFrames.notification(channel: "trades.\(name).100ms", data: DeribitFrames.tradesData(list))
                try frame.withUnsafeBytes { try codec.decode($0, receiveTime: 0) { if case .event = $0 { trades += 1 } } }
            }
        }
        XCTAssertEqual(book, inst.book)
        XCTAssertFalse(book.isCrossed)
        XCTAssertEqual(tickers, 200 * 12)
        XCTAssertGreaterThan(trades, 50)
        let option = try XCTUnwrap(market.instruments.values.first { $0.kind == .option && $0.isCall })
        XCTAssertGreaterThan(option.greeks.delta, 0)
        XCTAssertLessThan(option.greeks.delta, 1)
    }

    func testOptionsExpireOnAFridayAt0800UTC() {
        let expiry = DeribitMarket.nextFridayExpiry(after: 1_795_000_000_000)
        XCTAssertEqual(expiry % 86_400_000, 8 * 3_600_000)
        XCTAssertEqual((Int(expiry / 86_400_000) + 4) % 7, 5)
        XCTAssertGreaterThanOrEqual(expiry - 1_795_000_000_000, 2 * 86_400_000 - 86_400_000)
    }
}
