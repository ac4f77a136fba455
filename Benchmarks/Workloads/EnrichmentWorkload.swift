import HubCore
import Venues

/// Ticks of each kind the enrichment stage meets, for `streamhub-bench enrichment` and the
/// micro-benchmarks: unmapped and mapped tickers, options, a sportsbook market of five bookmakers
/// and mapped prediction outcomes, with small seeded random moves.
public enum EnrichmentWorkload {
    /// The mappings the mapped ticks belong to: BTC-USD (Binance, Coinbase) and a prediction pair.
    public static let mappings = [
        InstrumentMapping(
            id: "BTC-USD", kind: .crypto, members: [.init(venue: "binance", instrument: "BTC/USDT"), .init(venue: "coinbase", instrument: "BTC/USD")]),
        InstrumentMapping(
            id: "FED", kind: .prediction, members: [.init(venue: "polymarket", instrument: "Y", side: "yes"), .init(venue: "kalshi", instrument: "K")]),
    ]

    /// An enrichment stage with `mappings` loaded.
    public static func enrichment(_ p: PropertyTable) -> Enrich {
        let enrich = Enrich(properties: p)
        enrich.load(mappings: mappings, now: WallClock.milliseconds()) { _ in }
        return enrich
    }

    /// The samples by kind: (what the kind adds, its ticks).
    public static func samples(_ p: PropertyTable) -> [(name: String, ticks: [Tick])] {
        func id(_ n: String) -> PropertyID { p.intern(n) }
        var rng = SplitMix64(seed: 42)  // the same ticks every run: allocation counts compare exactly
        func jitter() -> Double { Double.random(in: -5...5, using: &rng) }

        func ticker(_ venue: String, _ instrument: String, _ i: Int) -> Tick {
            var t = Tick(source: venue, instrument: instrument, stream: .ticker, exchangeTime: Int64(i), receiveTime: 0)
            let mid = 65_000 + jitter()
            t.fields = [
                Field(id("bid"), .number(mid - 0.5)), Field(id("ask"), .number(mid + 0.5)), Field(id("bidVolume"), .number(1.5)),
                Field(id("askVolume"), .number(2)),
            ]
            return t
        }
        let unmapped = (0..<1000).map { ticker("binance", "ETH/USDT", $0) }
        let mapped = (0..<1000).map { ticker($0 % 2 == 0 ? "binance" : "coinbase", $0 % 2 == 0 ? "BTC/USDT" : "BTC/USD", $0) }
        let options = (0..<1000).map { i -> Tick in
            var t = Tick(source: "deribit", instrument: "BTC-X-\(i % 20)", stream: .options, exchangeTime: 1_626_993_722_929 + Int64(i), receiveTime: 0)
            t.fields = [
                Field(id("bid"), .number(0.01)), Field(id("ask"), .number(0.012)), Field(id("underlyingPrice"), .number(32_000 + jitter())),
                Field(id("strike"), .number(Double(20_000 + 2_000 * (i % 20)))), Field(id("expiry"), .integer(1_632_470_400_000)),
                Field(id("optionType"), .string(i % 2 == 0 ? "call" : "put")),
            ]
            return t
        }
        let books = ["pinnacle", "betfair", "bet365", "draftkings", "fanduel"], outs = ["home", "draw", "away"]
        let odds = (0..<1500).map { i -> Tick in
            let book = books[i % 5], out = outs[(i / 5) % 3]
            var t = Tick(source: "orca", instrument: "E\(i % 50)/ML/\(out)/\(book)", stream: .odds, exchangeTime: Int64(i), receiveTime: 0)
            t.fields = [
                Field(id("oddsDecimal"), .number([2.1, 3.4, 3.6][(i / 5) % 3] + jitter() / 100)), Field(id("oddsAmerican"), .integer(110)),
                Field(id("outcome"), .string(out)), Field(id("bookmaker"), .string(book)), Field(id("suspended"), .bool(false)),
                Field(id("outcomeCount"), .integer(3)), Field(id("marketType"), .string("moneyline")),
            ]
            return t
        }
        let outcomes = (0..<1000).map { i -> Tick in
            var t = Tick(
                source: i % 2 == 0 ? "polymarket" : "kalshi", instrument: i % 2 == 0 ? "Y" : "K", stream: .outcomes, exchangeTime: Int64(i), receiveTime: 0)
            let y = 0.5 + jitter() / 100
            t.fields =
                i % 2 == 0
                ? [Field(id("bestBid"), .number(y - 0.01)), Field(id("bestAsk"), .number(y + 0.01))]
                : [Field(id("yesBid"), .number(y - 0.01)), Field(id("yesAsk"), .number(y + 0.01)), Field(id("noAsk"), .number(1.02 - y))]
            return t
        }
        return [
            ("ticker, unmapped (mid, spread, microprice)", unmapped), ("ticker, mapped (+ composite, crypto arbitrage)", mapped),
            ("option (+ moneyness, time to expiry, intrinsic)", options), ("sportsbook quote (market, best line, consensus, arbitrage)", odds),
            ("prediction outcome, mapped (+ implied, arbitrage)", outcomes),
        ]
    }
}
