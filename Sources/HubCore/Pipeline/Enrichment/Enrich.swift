/// Enrichment: derived properties computed from a tick, and derived ticks from the state
/// across channels (best lines, consensus, arbitrage). Each derived property names its inputs
/// and formula version in the registry (lineage); every formula is in docs/guides/enrichment.md.
/// Cross-channel work is incremental per market: its cost grows with the market, not the hub.
///
/// Threading: loop-confined.
public final class Enrich: @unchecked Sendable {
    private let quote: QuoteEnricher
    private let probability: ProbabilityEnricher
    private let option: OptionEnricher
    private let oddsMarkets: OddsMarketEnricher
    private let crossVenue: CrossVenueEnricher
    /// Ticks that gained at least one derived property, and derived ticks emitted.
    public private(set) var derived: UInt64 = 0
    public private(set) var emitted: UInt64 = 0

    public init(properties: PropertyTable, config: EnrichmentConfig = EnrichmentConfig()) {
        quote = QuoteEnricher(properties)
        probability = ProbabilityEnricher(properties)
        option = OptionEnricher(properties)
        oddsMarkets = OddsMarketEnricher(properties, config: config)
        crossVenue = CrossVenueEnricher(properties, config: config)
    }

    /// Crypto and prediction arbitrage (`arb.crypto.*`, `arb.prediction.*`).
    public var cryptoArbitrage: ArbitrageTracker { crossVenue.crypto }
    public var predictionArbitrage: ArbitrageTracker { crossVenue.prediction }
    public var mappings: [InstrumentMapping] { crossVenue.mappings }

    /// The best line and consensus of one sportsbook outcome, as its aggregate channel carries them.
    public func oddsAggregate(source: String, event: String, market: String, outcome: String) -> [Field]? {
        oddsMarkets.aggregate(source: source, event: event, market: market, outcome: outcome)
    }

    /// Applies a new set of mappings (at start, and on every change through `/api/mappings`);
    /// opportunities of removed or changed mappings are retracted through `emit`.
    public func load(mappings: [InstrumentMapping], now: Int64, emit: (Tick) -> Void) {
        crossVenue.load(mappings, now: now, receiveTime: now * 1000) { t in
            emitted += 1
            emit(t)
        }
    }

    /// Sportsbook markets held (each forgotten once its event closed).
    public var oddsMarketCount: Int { oddsMarkets.marketCount }

    /// Sportsbook arbitrage (`arb.sportsbook.*`).
    public var sportsbookArbitrage: ArbitrageTracker { oddsMarkets.arbitrage }

    /// A venue's feed went down: its quotes leave composite quotes, best lines and arbitrage
    /// (its sportsbook quotes count as suspended) until fresh data arrives.
    /// Cross-venue updates (composites, crypto and prediction arbitrage) go to `crossVenue`
    /// when given, else to `emit` with the venue's own (sportsbook best lines and arbitrage).
    public func sourceDown(_ source: String, now: Int64, emit: (Tick) -> Void, crossVenue emitCross: ((Tick) -> Void)? = nil) {
        crossVenue.forget(venue: source, time: now, receiveTime: now * 1000) { t in
            emitted += 1
            if let emitCross { emitCross(t) } else { emit(t) }
        }
        oddsMarkets.suspend(source: source, time: now, receiveTime: now * 1000) { t in
            emitted += 1
            emit(t)
        }
    }

    /// A tick another cluster node published: it takes part in composites and arbitrage here.
    public func observeCrossVenue(_ tick: Tick, emit: (Tick) -> Void) {
        crossVenue.observe(tick) { t in
            var t = t
            if t.stream == .ticker { _ = quote.enrich(&t) }
            emitted += 1
            emit(t)
        }
    }

    /// Adds derived properties to `tick`; derived ticks of other channels go to `emit`, those
    /// across venues included.
    public func enrich(_ tick: inout Tick, emit: (Tick) -> Void = { _ in }) {
        enrich(&tick, emit: emit, crossVenue: emit)
    }

    /// Adds derived properties to `tick`; derived ticks of other channels go to `emit`, those
    /// across venues (composites, crypto and prediction arbitrage) to `crossVenue`. Neither
    /// closure escapes, so what they capture stays on the caller's stack (an optional closure
    /// parameter escapes: its captures were boxed on the heap, once per tick).
    public func enrich(_ tick: inout Tick, emit: (Tick) -> Void, crossVenue emitCross: (Tick) -> Void) {
        var added = quote.enrich(&tick)
        switch tick.stream {
        case .odds:
            added = probability.enrichOdds(&tick) || added
            oddsMarkets.enrich(&tick) { t in
                emitted += 1
                emit(t)
            }
        case .outcomes:
            added = probability.enrichOutcome(&tick) || added
        case .options:
            added = option.enrich(&tick) || added
        default:
            break
        }
        if added { derived += 1 }
        // Composite quotes get the quote-derived properties too (mid, spread of the best prices).
        observeCrossVenue(tick, emit: emitCross)
    }
}
