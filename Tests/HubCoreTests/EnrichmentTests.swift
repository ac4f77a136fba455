@testable import HubCore
import XCTest

/// Enrichment formulas against values computed by hand (docs/guides/enrichment.md has the same
/// worked examples).
final class EnrichmentTests: XCTestCase {
    let props = PropertyTable()
    lazy var enrich = Enrich(properties: props)

    func id(_ name: String) -> PropertyID { props.intern(name) }

    func number(_ t: Tick?, _ name: String) -> Double? { t?.value(id(name))?.number }

    func testOddsConversions() {
        XCTAssertEqual(OddsMath.implied(decimal: 2.5), 0.4)
        XCTAssertNil(OddsMath.implied(decimal: 1))
        XCTAssertEqual(OddsMath.implied(american: 150), 0.4)
        XCTAssertEqual(OddsMath.implied(american: -200)!, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(OddsMath.implied(american: 100), 0.5)
        XCTAssertNil(OddsMath.implied(american: -50), "−99…+99 are not American odds")
        XCTAssertEqual(OddsMath.decimal(american: 150), 2.5)
        XCTAssertEqual(OddsMath.decimal(american: -200), 1.5)
        XCTAssertEqual(OddsMath.overround([2.10, 3.40, 3.60])!, 1.0480859010270773, accuracy: 1e-12)
        XCTAssertNil(OddsMath.overround([2.0, 0.9]))
    }

    func quote(_ event: String, _ market: String, _ outcome: String, _ book: String, _ d: Double, at: Int64 = 1_000_000, suspended: Bool = false) -> Tick {
        var t = Tick(source: "orca", instrument: "\(event)/\(market)/\(outcome)/\(book)", stream: .odds, exchangeTime: at, receiveTime: at * 1000)
        t.set(id("oddsDecimal"), .number(d))
        t.set(id("outcome"), .string(outcome))
        t.set(id("bookmaker"), .string(book))
        t.set(id("suspended"), .bool(suspended))
        return t
    }

    /// Runs one quote through enrichment; returns it and the derived ticks.
    @discardableResult
    func feed(_ t: Tick) -> (Tick, [Tick]) {
        var t = t
        var out: [Tick] = []
        enrich.enrich(&t) { out.append($0) }
        return (t, out)
    }

    func testImpliedProbabilityOverroundAndNoVig() {
        // Pinnacle prices Arsenal–Chelsea 2.10 / 3.40 / 3.60: overround 1/2.1 + 1/3.4 + 1/3.6 = 1.048086.
        var (home, _) = feed(quote("E", "ML", "home", "pinnacle", 2.10))
        XCTAssertEqual(number(home, "impliedProbability")!, 1 / 2.1, accuracy: 1e-12)
        XCTAssertNil(number(home, "overround"), "not every outcome quoted yet")
        feed(quote("E", "ML", "draw", "pinnacle", 3.40))
        let (away, _) = feed(quote("E", "ML", "away", "pinnacle", 3.60))
        XCTAssertEqual(number(away, "overround")!, 1.0480859010270773, accuracy: 1e-12)
        XCTAssertEqual(number(away, "noVigProbability")!, 0.26503340757238314, accuracy: 1e-12)
        (home, _) = feed(quote("E", "ML", "home", "pinnacle", 2.10))
        XCTAssertEqual(number(home, "noVigProbability")!, 0.4543429844097996, accuracy: 1e-12)
        // American odds alone: +150 → 0.4.
        var t = Tick(source: "orca", instrument: "E/ML/home/x", stream: .odds, exchangeTime: 1, receiveTime: 1)
        t.set(id("oddsAmerican"), .integer(150))
        enrich.enrich(&t)
        XCTAssertEqual(number(t, "impliedProbability"), 0.4)
    }

    func testSharpConsensusV1AndV2() throws {
        enrich = Enrich(properties: props)
        let now: Int64 = 10_000_000
        // Pinnacle (sharp, weight 1) now; Betfair (sharp, 0.9) 60 s old; bet365 (0.4) 120 s old; half-life 60 s.
        for (o, d) in [("home", 2.15), ("draw", 3.30), ("away", 3.55)] { feed(quote("E", "ML", o, "betfair", d, at: now - 60_000)) }
        for (o, d) in [("home", 2.00), ("draw", 3.20), ("away", 3.40)] { feed(quote("E", "ML", o, "bet365", d, at: now - 120_000)) }
        var last: [Tick] = []
        for (o, d) in [("home", 2.10), ("draw", 3.40), ("away", 3.60)] { last = feed(quote("E", "ML", o, "pinnacle", d, at: now)).1 }
        let home = try XCTUnwrap(last.first { $0.instrument == "E/ML/home" })
        // v1: mean of Pinnacle's and Betfair's no-vig: (0.454343 + 0.443037) / 2.
        XCTAssertEqual(number(home, "sharpConsensus")!, 0.448689881162071, accuracy: 1e-12)
        // v2: weights 1, 0.9 × 2^-1 = 0.45, 0.4 × 2^-2 = 0.1 over the three books' no-vig.
        XCTAssertEqual(number(home, "sharpConsensusV2")!, 0.45089823143467445, accuracy: 1e-12)
        // The best line: Betfair's 2.15 for home.
        XCTAssertEqual(number(home, "bestOdds"), 2.15)
        XCTAssertEqual(home.value(id("bestBookmaker")), .string("betfair"))
        XCTAssertEqual(number(home, "impliedProbability")!, 1 / 2.15, accuracy: 1e-12)
        XCTAssertEqual(home.stream, .odds)
        XCTAssertEqual(home.channelName, "odds.orca.E/ML/home")
    }

    func testSportsbookArbitrageOpensAndIsRetracted() throws {
        enrich = Enrich(properties: props)
        feed(quote("M", "ML", "home", "a", 2.20, at: 1000))
        feed(quote("M", "ML", "away", "a", 1.70, at: 1000))
        feed(quote("M", "ML", "home", "b", 1.90, at: 2000))
        // b's away at 2.10: best home 2.20 (a) + best away 2.10 (b): 1/2.2 + 1/2.1 = 0.930736 → edge 6.93 %.
        let (_, out) = feed(quote("M", "ML", "away", "b", 2.10, at: 3000))
        let arb = try XCTUnwrap(out.first { $0.stream == .arb })
        XCTAssertEqual(arb.channelName, "arb.sportsbook.M/ML")
        XCTAssertEqual(number(arb, "edge")!, 0.06926406926406936, accuracy: 1e-12)
        XCTAssertEqual(arb.value(id("active")), .bool(true))
        XCTAssertEqual(arb.value(id("firstSeen")), .integer(3000))
        XCTAssertEqual(arb.value(id("legs")), .string("home@a 2.2 stake 48.84%, away@b 2.1 stake 51.16%"))
        XCTAssertEqual(enrich.sportsbookArbitrage.open.count, 1)
        // A suspended leg closes it: one retraction, active false, first seen kept.
        let (_, closing) = feed(quote("M", "ML", "away", "b", 2.10, at: 4000, suspended: true))
        let retraction = try XCTUnwrap(closing.first { $0.stream == .arb })
        XCTAssertEqual(retraction.value(id("active")), .bool(false))
        XCTAssertEqual(retraction.value(id("firstSeen")), .integer(3000))
        XCTAssertEqual(retraction.value(id("lastSeen")), .integer(4000))
        XCTAssertTrue(enrich.sportsbookArbitrage.open.isEmpty)
        // Nothing more while it stays closed; unchanged aggregates are not republished.
        let (_, quiet) = feed(quote("M", "ML", "home", "b", 1.90, at: 5000))
        XCTAssertTrue(quiet.isEmpty)
    }

    func testNothingMarketWideBeforeEveryOutcomeIsKnown() {
        enrich = Enrich(properties: props)
        func q(_ o: String, _ d: Double) -> Tick {
            var t = quote("S", "ML", o, "a", d)
            t.set(id("outcomeCount"), .integer(3))
            return t
        }
        // Home 3.0 and draw 3.0 alone would sum to 0.667 < 1: no overround, no arbitrage yet.
        feed(q("home", 3.0))
        let (draw, out) = feed(q("draw", 3.0))
        XCTAssertNil(number(draw, "overround"))
        XCTAssertFalse(out.contains { $0.stream == .arb })
        let (away, last) = feed(q("away", 2.5))
        XCTAssertEqual(number(away, "overround")!, 1 / 3.0 + 1 / 3.0 + 1 / 2.5, accuracy: 1e-12)
        XCTAssertFalse(last.contains { $0.stream == .arb }, "1.0667 ≥ 1")
        // The two earlier quotes get their no-vig now that the book is complete.
        let others = last.filter { $0.stream == .odds && $0.instrument.hasSuffix("/a") }
        XCTAssertEqual(Set(others.map(\.instrument)), ["S/ML/home/a", "S/ML/draw/a"])
        XCTAssertEqual(number(others.first, "noVigProbability")!, (1 / 3.0) / (1 / 3.0 + 1 / 3.0 + 1 / 2.5), accuracy: 1e-12)
    }

    func testOptionAnalytics() {
        // The captured BTC-24SEP21-8000-P ticker: S 32366.75, K 8000, a put, 0.1735 years to expiry.
        var t = Tick(source: "deribit", instrument: "BTC-24SEP21-8000-P", stream: .options, exchangeTime: 1_626_993_722_929, receiveTime: 0)
        t.set(id("underlyingPrice"), .number(32366.75))
        t.set(id("strike"), .number(8000))
        t.set(id("expiry"), .integer(1_632_470_400_000))
        t.set(id("optionType"), .string("put"))
        enrich.enrich(&t)
        XCTAssertEqual(number(t, "moneyness")!, 4.04584375, accuracy: 1e-12)
        XCTAssertEqual(number(t, "intrinsicValue"), 0)
        XCTAssertEqual(number(t, "timeToExpiry")!, 0.17354542395492686, accuracy: 1e-12)
        t.set(id("optionType"), .string("call"))
        enrich.enrich(&t)
        XCTAssertEqual(number(t, "intrinsicValue"), 24366.75)
    }

    func testPredictionImpliedProbability() {
        var t = Tick(source: "polymarket", instrument: "X", stream: .outcomes, exchangeTime: 1, receiveTime: 1)
        t.set(id("bestBid"), .number(0.48))
        t.set(id("bestAsk"), .number(0.52))
        enrich.enrich(&t)
        XCTAssertEqual(number(t, "impliedProbability")!, 0.5, accuracy: 1e-12)
        var k = Tick(source: "kalshi", instrument: "K", stream: .outcomes, exchangeTime: 1, receiveTime: 1)
        k.set(id("yesBid"), .number(0.60))
        k.set(id("yesAsk"), .number(0.55))  // crossed: the last price instead
        k.set(id("lastPrice"), .number(0.57))
        enrich.enrich(&k)
        XCTAssertEqual(number(k, "impliedProbability"), 0.57)
        var none = Tick(source: "kalshi", instrument: "K", stream: .outcomes, exchangeTime: 1, receiveTime: 1)
        none.set(id("volume"), .number(10))
        enrich.enrich(&none)
        XCTAssertNil(number(none, "impliedProbability"))
    }
}
