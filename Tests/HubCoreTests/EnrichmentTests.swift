import Foundation
import XCTest

@testable import HubCore

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
        // b's away at 2.10: best home 2.20 (a) + best away 2.10 (b): 1/2.2 + 1/2.1 = 0.930736;
        // staking in proportion to 1/d returns 1 / 0.930736 − 1 = 7.44 % whatever happens.
        let (_, out) = feed(quote("M", "ML", "away", "b", 2.10, at: 3000))
        let arb = try XCTUnwrap(out.first { $0.stream == .arb })
        XCTAssertEqual(arb.channelName, "arb.sportsbook.M/ML")
        XCTAssertEqual(number(arb, "edge")!, 1 / (1 / 2.2 + 1 / 2.1) - 1, accuracy: 1e-12)
        XCTAssertEqual(number(arb, "edge")!, 0.0744186046511628, accuracy: 1e-12)
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

    func ticker(_ venue: String, _ instrument: String, bid: Double, ask: Double, bidSize: Double = 1, askSize: Double = 1, at: Int64 = 1000) -> Tick {
        var t = Tick(source: venue, instrument: instrument, stream: .ticker, exchangeTime: at, receiveTime: at * 1000)
        t.set(id("bid"), .number(bid))
        t.set(id("ask"), .number(ask))
        t.set(id("bidVolume"), .number(bidSize))
        t.set(id("askVolume"), .number(askSize))
        return t
    }

    /// A fresh enrichment with `config` and one crypto mapping, BTC-USD: Binance, Coinbase and `third`.
    func btcUSD(_ config: EnrichmentConfig, third: InstrumentMapping.Member, now: Int64) {
        enrich = Enrich(properties: props, config: config)
        let members: [InstrumentMapping.Member] = [.init(venue: "binance", instrument: "BTC/USDT"), .init(venue: "coinbase", instrument: "BTC/USD"), third]
        enrich.load(mappings: [InstrumentMapping(id: "BTC-USD", kind: .crypto, members: members)], now: now) { _ in }
    }

    func testCompositeBestBidOfferAndCryptoArbitrageAfterFees() throws {
        var config = EnrichmentConfig()
        config.fees = ["binance": 0.001, "coinbase": 0.006]
        btcUSD(config, third: .init(venue: "deribit", instrument: "BTC-PERPETUAL", role: "reference"), now: WallClock.milliseconds())
        // The reference member (Deribit's index) is shown, never traded: its 80 000 bid is ignored.
        var deribit = ticker("deribit", "BTC-PERPETUAL", bid: 80_000, ask: 80_010)
        deribit.set(id("indexPrice"), .number(65_003.5))
        feed(deribit)
        var (_, out) = feed(ticker("binance", "BTC/USDT", bid: 65_000, ask: 65_010, bidSize: 2, askSize: 3))
        var composite = try XCTUnwrap(out.first { $0.channelName == "ticker.composite.BTC-USD" })
        XCTAssertEqual(number(composite, "bid"), 65_000)
        XCTAssertEqual(number(composite, "mid"), 65_005, "quote-derived properties on the composite too")
        XCTAssertEqual(number(composite, "indexPrice"), 65_003.5)
        // Coinbase bids 65 400: crossed across venues, but 0.1 % + 0.6 % fees eat 0.69 %: no arbitrage.
        (_, out) = feed(ticker("coinbase", "BTC/USD", bid: 65_400, ask: 65_420, bidSize: 0.5, askSize: 1))
        composite = try XCTUnwrap(out.first { $0.channelName == "ticker.composite.BTC-USD" })
        XCTAssertEqual(number(composite, "bid"), 65_400)
        XCTAssertEqual(composite.value(id("bidVenue")), .string("coinbase"))
        XCTAssertEqual(number(composite, "ask"), 65_010)
        XCTAssertEqual(composite.value(id("askVenue")), .string("binance"))
        XCTAssertFalse(out.contains { $0.stream == .arb }, "65400 × 0.994 = 65007.6 < 65010 × 1.001 = 65075.01")
        // Coinbase bids 66 000: 66000 × 0.994 = 65604; cost 65075.01; edge = 528.99 / 65075.01 = 0.81289 %.
        (_, out) = feed(ticker("coinbase", "BTC/USD", bid: 66_000, ask: 66_020, bidSize: 0.5, askSize: 1))
        let arb = try XCTUnwrap(out.first { $0.stream == .arb })
        XCTAssertEqual(arb.channelName, "arb.crypto.BTC-USD")
        XCTAssertEqual(number(arb, "edge")!, (66_000 * 0.994 - 65_010 * 1.001) / (65_010 * 1.001), accuracy: 1e-12)
        XCTAssertEqual(number(arb, "size"), 0.5, "the smaller of the two sizes")
        XCTAssertEqual(arb.value(id("legs")), .string("buy binance 65010.0, sell coinbase 66000.0"))
        // Removing the mapping retracts the opportunity and empties the composite quote.
        var retracted: [Tick] = []
        enrich.load(mappings: [], now: 5000) { retracted.append($0) }
        XCTAssertEqual(retracted.first?.value(id("active")), .bool(false))
        let emptied = try XCTUnwrap(retracted.first { $0.channelName == "ticker.composite.BTC-USD" })
        XCTAssertTrue(emptied.fields.isEmpty)
        XCTAssertTrue(emptied.removed.contains(id("bid")) && emptied.removed.contains(id("mid")))
        XCTAssertTrue(enrich.cryptoArbitrage.open.isEmpty)
    }

    /// A `perp` member: its basis against the spot composite mid and its funding ride on the
    /// composite quote (docs/guides/enrichment.md#basis-and-funding); it never makes the best bid
    /// or offer, nor a leg of arbitrage.
    func testPerpBasisAndFundingOnTheCompositeQuote() throws {
        var config = EnrichmentConfig()
        config.fees = [:]
        btcUSD(config, third: .init(venue: "binance-futures", instrument: "BTC/USDT:USDT", role: "perp"), now: 1000)
        // The perp bids far above spot: no arbitrage, no best bid — it is not spot.
        var (_, out) = feed(ticker("binance-futures", "BTC/USDT:USDT", bid: 65_100, ask: 65_110))
        XCTAssertFalse(out.contains { $0.channelName == "ticker.composite.BTC-USD" }, "no spot quote yet: no composite")
        (_, out) = feed(ticker("binance", "BTC/USDT", bid: 65_000, ask: 65_010))
        (_, out) = feed(ticker("coinbase", "BTC/USD", bid: 65_004, ask: 65_020))
        var composite = try XCTUnwrap(out.first { $0.channelName == "ticker.composite.BTC-USD" })
        XCTAssertEqual(number(composite, "bid"), 65_004)
        XCTAssertEqual(number(composite, "ask"), 65_010)
        XCTAssertEqual(composite.value(id("bidVenue")), .string("coinbase"))
        XCTAssertTrue(enrich.cryptoArbitrage.open.isEmpty, "the perp's 65 100 bid is no leg")
        // basis = 65 105 − 65 007 = 98; annualised over 8-hour periods: 98 / 65 007 × 1095.
        XCTAssertEqual(number(composite, "basis"), 98)
        XCTAssertEqual(number(composite, "annualisedBasis")!, 98 / 65_007 * 1095, accuracy: 1e-12)
        XCTAssertNil(composite.value(id("fundingRate")), "no mark price update yet")
        // The mark price stream brings funding: 0.01 % per 8 hours is 10.95 % a year.
        var mark = Tick(source: "binance-futures", instrument: "BTC/USDT:USDT", stream: .ticker, exchangeTime: 1001, receiveTime: 1_001_000)
        mark.set(id("markPrice"), .number(65_104))
        mark.set(id("fundingRate"), .number(0.0001))
        mark.set(id("nextFundingTime"), .integer(1_795_795_200_000))
        (_, out) = feed(mark)
        composite = try XCTUnwrap(out.first { $0.channelName == "ticker.composite.BTC-USD" })
        XCTAssertEqual(number(composite, "fundingRate"), 0.0001)
        XCTAssertEqual(number(composite, "annualisedFunding")!, 0.1095, accuracy: 1e-12)
        XCTAssertEqual(composite.value(id("nextFundingTime")), .integer(1_795_795_200_000))
        XCTAssertEqual(number(composite, "basis"), 98, "the perp's quote is kept between its ticks")
        XCTAssertTrue(enrich.cryptoArbitrage.open.isEmpty)
        // The perp's book goes quiet while its mark prices keep coming: past maxQuoteAgeSeconds
        // (30 s) the basis leaves, funding stays.
        var later = mark
        later.receiveTime += 31_000_000
        later.exchangeTime += 31_000
        _ = feed(ticker("binance", "BTC/USDT", bid: 65_000, ask: 65_010, at: 32_000))  // Coinbase's quote is stale by now
        (_, out) = feed(later)
        composite = try XCTUnwrap(out.first { $0.channelName == "ticker.composite.BTC-USD" })
        XCTAssertNil(composite.value(id("basis")), "a 31-second-old perp book makes no basis")
        XCTAssertEqual(number(composite, "fundingRate"), 0.0001)
        (_, out) = feed(ticker("binance-futures", "BTC/USDT:USDT", bid: 65_100, ask: 65_110, at: 32_002))
        composite = try XCTUnwrap(out.first { $0.channelName == "ticker.composite.BTC-USD" })
        XCTAssertEqual(number(composite, "basis"), 100, "a fresh perp book: 65 105 − the composite mid of Binance alone (65 005)")
        // A perp whose book emptied: the basis leaves the composite, funding stays.
        (_, out) = feed(ticker("binance-futures", "BTC/USDT:USDT", bid: 0, ask: 65_110))
        composite = try XCTUnwrap(out.first { $0.channelName == "ticker.composite.BTC-USD" })
        XCTAssertNil(composite.value(id("basis")))
        XCTAssertTrue(composite.removed.contains(id("basis")) && composite.removed.contains(id("annualisedBasis")))
        XCTAssertEqual(number(composite, "fundingRate"), 0.0001)
        // A 4-hour funding interval doubles the periods a year.
        config.fundingIntervalHours = 4
        enrich = Enrich(properties: props, config: config)
        enrich.load(
            mappings: [
                InstrumentMapping(
                    id: "E", kind: .crypto, members: [.init(venue: "x", instrument: "E"), .init(venue: "p", instrument: "E", role: "perp")])
            ], now: 1000
        ) { _ in }
        _ = feed(ticker("p", "E", bid: 101, ask: 103))
        (_, out) = feed(ticker("x", "E", bid: 99, ask: 101))
        composite = try XCTUnwrap(out.first { $0.channelName == "ticker.composite.E" })
        XCTAssertEqual(number(composite, "annualisedBasis")!, 2.0 / 100 * 2190, accuracy: 1e-12)
    }

    func testAMappingHasAtMostOnePerpAndOnlyCryptoHasRoles() {
        let spot = InstrumentMapping.Member(venue: "binance", instrument: "BTC/USDT")
        let perp = InstrumentMapping.Member(venue: "binance-futures", instrument: "BTC/USDT:USDT", role: "perp")
        XCTAssertNoThrow(try InstrumentMapping(id: "B", kind: .crypto, members: [spot, perp]).check())
        let second = InstrumentMapping.Member(venue: "deribit", instrument: "BTC-PERPETUAL", role: "perp")
        XCTAssertThrowsError(try InstrumentMapping(id: "B", kind: .crypto, members: [spot, perp, second]).check()) {
            XCTAssertEqual("\($0)", "members[2].role: a mapping has at most one perp (its basis is the composite's)")
        }
        XCTAssertThrowsError(try InstrumentMapping(id: "B", kind: .prediction, members: [spot, perp]).check()) {
            XCTAssertEqual("\($0)", "members[1].role: only crypto mappings have roles (reference, perp)")
        }
        let reference = InstrumentMapping.Member(venue: "deribit", instrument: "BTC-PERPETUAL", role: "reference")
        XCTAssertThrowsError(try InstrumentMapping(id: "B", kind: .crypto, members: [perp, reference]).check()) {
            XCTAssertEqual("\($0)", "members: a crypto mapping needs a spot member (one without a role)")
        }
        XCTAssertThrowsError(try InstrumentMapping(id: "B", kind: .crypto, members: [spot, .init(venue: "x", instrument: "Y", role: "swap")]).check()) {
            XCTAssertEqual("\($0)", "members[1].role: must be reference or perp")
        }
    }

    func testPredictionArbitrageAcrossVenues() throws {
        var config = EnrichmentConfig()
        config.fees = ["kalshi": 0.01, "polymarket": 0]
        enrich = Enrich(properties: props, config: config)
        enrich.load(
            mappings: [
                InstrumentMapping(
                    id: "FED", kind: .prediction,
                    members: [
                        .init(venue: "polymarket", instrument: "YES-TOKEN", side: "yes"), .init(venue: "polymarket", instrument: "NO-TOKEN", side: "no"),
                        .init(venue: "kalshi", instrument: "FED-K"),
                    ])
            ], now: WallClock.milliseconds()
        ) { _ in }
        func outcome(_ venue: String, _ instrument: String, _ fields: [(String, Double)]) -> Tick {
            var t = Tick(source: venue, instrument: instrument, stream: .outcomes, exchangeTime: 1000, receiveTime: 0)
            for (k, v) in fields { t.set(id(k), .number(v)) }
            return t
        }
        feed(outcome("polymarket", "YES-TOKEN", [("bestBid", 0.40), ("bestAsk", 0.42)]))
        feed(outcome("polymarket", "NO-TOKEN", [("bestBid", 0.57), ("bestAsk", 0.59)]))
        // Kalshi YES 0.50 / NO 0.50: YES poly 0.42 + NO kalshi 0.50 × 1.01 = 0.925 → (1 − 0.925) / 0.925 = 8.11 %.
        let (_, out) = feed(outcome("kalshi", "FED-K", [("yesBid", 0.48), ("yesAsk", 0.50), ("noBid", 0.48), ("noAsk", 0.50)]))
        let arb = try XCTUnwrap(out.first { $0.stream == .arb })
        XCTAssertEqual(arb.channelName, "arb.prediction.FED")
        XCTAssertEqual(number(arb, "edge")!, (1 - (0.42 + 0.50 * 1.01)) / (0.42 + 0.50 * 1.01), accuracy: 1e-12)
        XCTAssertEqual(arb.value(id("legs")), .string("YES polymarket 0.42, NO kalshi 0.5"))
        // Kalshi's NO rises to 0.60: 0.42 + 0.606 > 1 and 0.50 × 1.01 + 0.59 > 1 — closed.
        let (_, closing) = feed(outcome("kalshi", "FED-K", [("yesAsk", 0.50), ("noAsk", 0.60)]))
        XCTAssertEqual(closing.first { $0.stream == .arb }?.value(id("active")), .bool(false))
    }

    func testWithdrawnValuesLeaveTheChannelStateAndClosedEventsAreForgotten() throws {
        enrich = Enrich(properties: props)
        let hub = Hub(properties: props)
        func run(_ t: Tick) {
            var t = t
            enrich.enrich(&t) { hub.publish($0) }
            hub.publish(t)
        }
        func q(_ o: String, _ d: Double, suspended: Bool = false, status: String = "live") -> Tick {
            var t = quote("C", "ML", o, "a", d, suspended: suspended)
            t.set(id("outcomeCount"), .integer(2))
            t.set(id("eventStatus"), .string(status))
            return t
        }
        run(q("home", 2.0))
        run(q("away", 1.9))
        func state(_ channel: String) throws -> [String: Any] {
            let bytes = try XCTUnwrap(hub.latestState(channel))
            return try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])?["data"] as? [String: Any])
        }
        XCTAssertEqual(try state("odds.orca.C/ML/home")["bestOdds"] as? Double, 2.0)
        XCTAssertNotNil(try state("odds.orca.C/ML/home/a")["noVigProbability"])
        // Suspended: the best line, consensus and no-vig are withdrawn, not left standing.
        run(q("home", 2.0, suspended: true))
        XCTAssertNil(try state("odds.orca.C/ML/home")["bestOdds"])
        XCTAssertNil(try state("odds.orca.C/ML/home")["sharpConsensusV2"])
        XCTAssertNil(try state("odds.orca.C/ML/away/a")["noVigProbability"], "the book is no longer complete")
        XCTAssertEqual(try state("odds.orca.C/ML/home")["outcome"] as? String, "home", "descriptive fields stay")
        XCTAssertEqual(enrich.oddsMarketCount, 1)
        // The event closes (every quote suspended): the market is forgotten.
        run(q("home", 2.0, suspended: true, status: "closed"))
        run(q("away", 1.9, suspended: true, status: "closed"))
        XCTAssertEqual(enrich.oddsMarketCount, 0)
    }

    func testStaleAndDownVenuesLeaveCompositeQuotesAndArbitrage() throws {
        var config = EnrichmentConfig()
        config.fees = [:]
        config.maxQuoteAgeSeconds = 30
        enrich = Enrich(properties: props, config: config)
        let mapping = InstrumentMapping(id: "B", kind: .crypto, members: [.init(venue: "x", instrument: "B"), .init(venue: "y", instrument: "B")])
        enrich.load(mappings: [mapping], now: WallClock.milliseconds()) { _ in }
        func tick(_ venue: String, _ bid: Double, _ ask: Double, at seconds: Int64) -> Tick {
            var t = ticker(venue, "B", bid: bid, ask: ask, at: seconds * 1000)
            t.receiveTime = seconds * 1_000_000
            return t
        }
        feed(tick("x", 100, 101, at: 0))
        var (_, out) = feed(tick("y", 102, 103, at: 1))
        XCTAssertEqual(out.first { $0.stream == .arb }?.value(id("active")), .bool(true), "sell y 102 > buy x 101")
        // A description-only change keeps it open (no retraction, first seen kept).
        var retractions: [Tick] = []
        var described = mapping
        described.description = "new words"
        enrich.load(mappings: [described], now: WallClock.milliseconds()) { retractions.append($0) }
        XCTAssertTrue(retractions.isEmpty)
        XCTAssertEqual(enrich.cryptoArbitrage.open.count, 1)
        // 40 s later only y has fresh prices: x's old quote no longer counts.
        (_, out) = feed(tick("y", 102, 103, at: 41))
        XCTAssertEqual(out.first { $0.stream == .arb }?.value(id("active")), .bool(false))
        let composite = try XCTUnwrap(out.first { $0.channelName == "ticker.composite.B" })
        XCTAssertEqual(composite.value(id("askVenue")), .string("y"))
        // Fresh again, then x's feed goes down: closed at once.
        feed(tick("x", 100, 101, at: 42))
        XCTAssertEqual(enrich.cryptoArbitrage.open.count, 1)
        var down: [Tick] = []
        enrich.sourceDown("x", now: 43_000) { down.append($0) }
        XCTAssertEqual(down.first { $0.stream == .arb }?.value(id("active")), .bool(false))
        // An edge below minEdge (0.05 %) does not open.
        feed(tick("y", 101.04, 102, at: 44))
        (_, out) = feed(tick("x", 100, 101, at: 44))
        XCTAssertFalse(out.contains { $0.stream == .arb && $0.value(id("active")) == .bool(true) }, "0.04 % < minEdge")
        XCTAssertThrowsError(
            try InstrumentMapping(id: "A/B", kind: .crypto, members: mapping.members).check(), "a slash cannot be addressed in /api/mappings/:id")
    }

    func testArbitrageChoosesVenuesAfterFees() throws {
        var config = EnrichmentConfig()
        config.fees = ["x": 0.006, "y": 0, "z": 0]
        enrich = Enrich(properties: props, config: config)
        enrich.load(
            mappings: [InstrumentMapping(id: "F", kind: .crypto, members: ["x", "y", "z"].map { .init(venue: $0, instrument: "F") })],
            now: WallClock.milliseconds()
        ) { _ in }
        feed(ticker("x", "F", bid: 102, ask: 103))
        feed(ticker("y", "F", bid: 101.8, ask: 103))
        let (_, out) = feed(ticker("z", "F", bid: 99, ask: 100))
        // x shows the best bid (102), but after its 0.6 % fee it pays 101.388: selling on y (101.8) is better.
        let composite = try XCTUnwrap(out.first { $0.channelName == "ticker.composite.F" })
        XCTAssertEqual(composite.value(id("bidVenue")), .string("x"), "the composite shows raw prices")
        let arb = try XCTUnwrap(out.first { $0.stream == .arb })
        XCTAssertEqual(arb.value(id("legs")), .string("buy z 100.0, sell y 101.8"))
        XCTAssertEqual(number(arb, "edge")!, 0.018, accuracy: 1e-12)
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
        for name in ["moneyness", "intrinsicValue", "timeToExpiry"] {
            XCTAssertEqual(t.fields.filter { $0.id == id(name) }.count, 1, "\(name) replaced in place, not added twice")
        }
        XCTAssertEqual(t.fields.count, 7)
        // A property present twice: the first is replaced, as `Tick.set` does.
        t.fields.append(Field(id("moneyness"), .number(9)))
        enrich.enrich(&t)
        XCTAssertEqual(t.fields.filter { $0.id == id("moneyness") }.map(\.value), [.number(4.04584375), .number(9)])
        XCTAssertEqual(number(t, "moneyness")!, 4.04584375, accuracy: 1e-12)
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
