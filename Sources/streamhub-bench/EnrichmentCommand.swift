import ArgumentParser
import Foundation
import HubCore
import HubServer

/// The enrichment stage's cost per tick, by kind of tick: quote-derived properties alone, a
/// mapped ticker (composite quote, crypto arbitrage check), an option, a sportsbook quote
/// (overround, no-vig, best line, consensus v1/v2, arbitrage check over a 3-outcome market of
/// five bookmakers) and a mapped prediction outcome.
struct EnrichmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enrichment", abstract: "Enrichment cost per tick by kind (derived properties and cross-channel work).")

    @Option(help: "Property definitions.") var properties = "config/properties"
    @Option(help: "Seconds per measurement.") var seconds = 2.0

    func run() throws {
        let registry = PropertyRegistry()
        try registry.load(try PropertySeedLoader.load(directory: properties))
        let p = registry.table
        let enrich = Enrich(properties: p)
        enrich.load(
            mappings: [
                InstrumentMapping(
                    id: "BTC-USD", kind: .crypto, members: [.init(venue: "binance", instrument: "BTC/USDT"), .init(venue: "coinbase", instrument: "BTC/USD")]),
                InstrumentMapping(
                    id: "FED", kind: .prediction, members: [.init(venue: "polymarket", instrument: "Y", side: "yes"), .init(venue: "kalshi", instrument: "K")]),
            ], now: WallClock.milliseconds()
        ) { _ in }
        func id(_ n: String) -> PropertyID { p.intern(n) }
        var rng = SystemRandomNumberGenerator()
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
        print("enrichment cost per tick (\(seconds) s each; derived ticks emitted per input in brackets)")
        for (name, sample) in [
            ("ticker, unmapped (mid, spread, microprice)", unmapped), ("ticker, mapped (+ composite, crypto arbitrage)", mapped),
            ("option (+ moneyness, time to expiry, intrinsic)", options), ("sportsbook quote (market, best line, consensus, arbitrage)", odds),
            ("prediction outcome, mapped (+ implied, arbitrage)", outcomes),
        ] {
            var emitted = 0
            let perSecond = PipelineCommand.loop(seconds) {
                for var t in sample { enrich.enrich(&t) { _ in emitted += 1 } }
                return sample.count
            }
            let total = perSecond * seconds
            let label = name.padding(toLength: 60, withPad: " ", startingAt: 0)
            print(label + String(format: " %10.0f ticks/s  %7.0f ns/tick  [%.2f]", perSecond, 1e9 / perSecond, Double(emitted) / max(1, total)))
        }
    }
}
