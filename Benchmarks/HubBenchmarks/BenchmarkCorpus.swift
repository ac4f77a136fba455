import Benchmark
import Fixtures
import Foundation
import HubCore
import HubServer
import Venues
import Workloads

/// What the micro-benchmarks run on, built once: frames of every venue (the recorded Deribit and
/// Binance sessions of Tests/Fixtures/captures, frames of the documented shapes for the others),
/// the Deribit session's decoded events, the shipped property registry and flags, enrichment
/// samples and ticker ticks for filters.
final class BenchmarkCorpus: @unchecked Sendable {
    static let shared = BenchmarkCorpus()

    /// The repository root (Tests/Fixtures/../..), whatever the working directory.
    let root = Fixtures.directory.deletingLastPathComponent().deletingLastPathComponent()
    let registry = PropertyRegistry()
    let venueFrames: [(venue: String, frames: [[UInt8]])]
    let deribitEvents: [RawEvent]
    let enrichmentTicks: [(kind: String, ticks: [Tick])]
    let flags: FlagSet
    let flagContexts = FlagWorkload.contexts(1000)
    let filter: CompiledFilter
    let filterTicks: [Tick]

    private init() {
        do {
            try registry.load(try PropertySeedLoader.load(directory: root.appendingPathComponent("config/properties").path))
            flags = FlagWorkload.realistic(try FlagSeedLoader.load(file: root.appendingPathComponent("config/flags.yaml").path))
            let deribit = try Self.received("captures/DERIBIT.ws.1.0"), binance = try Self.received("captures/BINANCE.ws.1.0")
            venueFrames = [
                ("deribit", deribit), ("binance", binance), ("binance-futures", Self.documented(Self.binanceFutures)),
                ("coinbase", Self.documented(Self.coinbase)), ("polymarket", Self.documented(Self.polymarket)),
                ("kalshi", Self.documented(Self.kalshi)), ("orca", Self.documented(Self.orca)),
            ]
            let feed = DeribitFeed(config: DeribitFeedConfig())
            var events: [RawEvent] = []
            _ = feed.connected(now: 0)
            for f in deribit { _ = f.withUnsafeBytes { feed.received($0, now: 1, wallMicros: 0) { events.append($0) } } }
            deribitEvents = events
        } catch {
            fatalError("benchmark corpus: \(error)")
        }
        let p = registry.table
        enrichmentTicks = EnrichmentWorkload.samples(p).map { ($0.name, $0.ticks) }
        // Enriched tickers: the filter's spreadBps is there, so every clause is evaluated.
        let quotes = Enrich(properties: p)
        filterTicks = enrichmentTicks[0].ticks.map { t in
            var t = t
            quotes.enrich(&t)
            return t
        }
        // A filter a dashboard would send: a tight spread on a quote that has sizes.
        let rule = SubscriptionFilter.and([
            .compare(property: "bid", op: .greater, value: .number(0)), .compare(property: "spreadBps", op: .less, value: .number(5)),
            .or([.exists(property: "bidVolume"), .not(.oneOf(property: "side", values: [.string("sell")]))]),
        ])
        filter = CompiledFilter(rule, resolve: { p.id($0) })!
    }

    /// The enrichment stage the samples belong to (their mappings loaded).
    func enrichment() -> Enrich { EnrichmentWorkload.enrichment(registry.table) }

    /// A venue's decoder: frame → decoded message (discarded).
    static func decoder(_ venue: String) -> (UnsafeRawBufferPointer) -> Void {
        switch venue {
        case "deribit":
            let c = DeribitCodec()
            return { b in try? c.decode(b, receiveTime: 0) { blackHole($0) } }
        case "binance", "binance-futures":
            let c = BinanceCodec()
            return { b in blackHole(try? c.decode(b)) }
        case "coinbase":
            let c = CoinbaseCodec()
            return { b in blackHole(try? c.decode(b)) }
        case "polymarket":
            let c = PolymarketCodec()
            return { b in blackHole(try? c.decode(b)) }
        case "kalshi":
            let c = KalshiCodec()
            return { b in blackHole(try? c.decode(b)) }
        default:
            let c = OrcaCodec()
            return { b in blackHole(try? c.decode(b)) }
        }
    }

    /// The frames a capture received.
    static func received(_ capture: String) throws -> [[UInt8]] {
        try Fixtures.text(capture).split(separator: "\n").compactMap(CaptureLine.init).compactMap { line in
            guard case .received(_, let payload) = line else { return nil }
            return Array(payload.utf8)
        }
    }

    static func documented(_ frames: [String]) -> [[UInt8]] { frames.map { Array($0.utf8) } }

    // Frames of the shapes each venue documents (as in Tests/VenuesTests).
    static let binanceFutures = [
        #"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1700000000200,"T":1700000000199,"s":"BTCUSDT","U":5007,"u":5009,"pu":5004,"b":[["37000.10","0.500"],["36999.90","2.000"]],"a":[["37000.20","1.500"]]}}"#,
        #"{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":5009,"E":1700000000201,"T":1700000000199,"s":"BTCUSDT","b":"37000.00","B":"4.000","a":"37000.20","A":"1.500"}}"#,
        #"{"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":1700000001000,"s":"BTCUSDT","p":"37000.12000000","i":"36990.50000000","P":"36991.00000000","r":"0.00010000","T":1700006400000}}"#,
        #"{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":123456789,"s":"BTCUSDT","a":5933014,"p":"37000.10","q":"0.015","f":100,"l":105,"T":123456785,"m":true}}"#,
    ]
    static let coinbase = [
        #"{"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:50.714964855Z","sequence_num":2,"events":[{"type":"update","product_id":"BTC-USD","updates":[{"side":"bid","event_time":"1970-01-01T00:00:00Z","price_level":"21921.73","new_quantity":"0.06317902"},{"side":"offer","event_time":"1970-01-01T00:00:00Z","price_level":"21921.3","new_quantity":"0.02"}]}]}"#,
        #"{"channel":"ticker","client_id":"","timestamp":"2023-02-09T20:30:37.167359596Z","sequence_num":3,"events":[{"type":"update","tickers":[{"type":"ticker","product_id":"BTC-USD","price":"21932.98","volume_24_h":"16038.28770938","low_24_h":"21835.29","high_24_h":"23011.18","low_52_w":"15460","high_52_w":"48240","price_percent_chg_24_h":"-4.15775596190603","best_bid":"21931.98","best_bid_quantity":"0.5","best_ask":"21933.98","best_ask_quantity":"1.2"}]}]}"#,
    ]
    static let polymarket = [
        #"{"event_type": "book", "asset_id": "65818619657568813474341868652308942079804919287380422192892211131408793125422", "market": "0xbd31dc8a20211944f6b70f31557f1001557b59905b7738480ca09bd4532f84af", "bids": [{ "price": ".48", "size": "30" }, { "price": ".49", "size": "20" }, { "price": ".50", "size": "15" }], "asks": [{ "price": ".52", "size": "25" }, { "price": ".53", "size": "60" }, { "price": ".54", "size": "10" }], "timestamp": "123456789000", "hash": "0x0...."}"#,
        #"{"event_type":"price_change","market":"0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1","price_changes":[{"asset_id":"71321045679252212594626385532706912750332728571942532289631379312455583992563","price":"0.5","size":"200","side":"BUY","hash":"56621a121a47ed9333273e21c83b660cff37ae50","best_bid":"0.5","best_ask":"1"}],"timestamp":"1757908892351"}"#,
    ]
    static let kalshi = [
        #"{"type": "ticker", "sid": 11, "msg": {"market_id": "9b0f6b43-5b68-4f9f-9f02-9a2d1b8ac1a1", "market_ticker": "FED-23DEC-T3.00", "price_dollars": "0.4800", "yes_bid_dollars": "0.4500", "yes_ask_dollars": "0.5300", "volume_fp": "33896.00", "open_interest_fp": "20422.00", "dollar_volume": 16948, "dollar_open_interest": 10211, "yes_bid_size_fp": "300.00", "yes_ask_size_fp": "150.00", "last_trade_size_fp": "25.00", "ts": 1669149841, "ts_ms": 1669149841000, "time": "2022-11-22T20:44:01Z"}}"#
    ]
    static let orca = [
        #"{"type":"delta","stream":"soccer","seq":2,"ts":1,"changes":[{"kind":"price","eventId":"E1","marketId":"ML","outcomeId":"home","bookmaker":"pinnacle","decimal":"2.1000","american":110,"updatedAt":2000,"suspended":false},{"kind":"price","eventId":"E1","marketId":"ML","outcomeId":"away","bookmaker":"bet365","decimal":"3.4000","american":240,"updatedAt":2000,"suspended":false}]}"#
    ]
}

/// The serving path of one Deribit event: process it through the pipeline (or, `publishOnly`,
/// publish its tick already transformed and enriched), then fill every subscriber's frames
/// (each view serialised once, spliced into its frames).
final class ServingBench {
    private let hub: Hub
    private let pipeline: Pipeline
    private let sessions: [Session]
    private var frame: [UInt8] = []
    private let events: [RawEvent]
    private var ticks: [Tick] = []

    /// `subscribers` sessions on every Deribit channel, taking `views` distinct projections in turn.
    init(corpus: BenchmarkCorpus, subscribers: Int, views: Int, publishOnly: Bool = false) {
        let p = corpus.registry.table
        hub = Hub(properties: p, projectable: { corpus.registry.id($0) })
        pipeline = Pipeline(transform: Transform(registry: corpus.registry, schemas: [DeribitField.schema]), enrich: Enrich(properties: p), hub: hub)
        events = corpus.deribitEvents
        frame.reserveCapacity(1 << 20)
        let projections = ViewWorkload.projections(p, count: views)
        sessions = ViewWorkload.subscribers(hub, views: (0..<subscribers).map { projections[$0 % projections.count] })
        for i in events.indices { serve(i) }  // channels exist before measuring
        if publishOnly {
            ticks = events.compactMap { e in
                guard var t = pipeline.transform.transform(e) else { return nil }
                pipeline.enrich.enrich(&t)
                return t
            }
        }
    }

    func serve(_ i: Int) {
        if ticks.isEmpty {
            pipeline.process(events[i % events.count])
        } else {
            hub.publish(ticks[i % ticks.count])
        }
        for s in sessions {
            frame.removeAll(keepingCapacity: true)
            while case .frame(let more) = hub.fillFrame(s, into: &frame), more { frame.removeAll(keepingCapacity: true) }
        }
    }
}
