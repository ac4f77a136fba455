/// Cross-venue results of the mappings, incremental per mapping: a tick on a mapped channel
/// updates its member's quote and recomputes that one mapping.
/// - crypto (`ticker.<venue>.<instrument>` members): the composite best bid and offer on
///   `ticker.composite.<id>` (`bid`, `ask`, their sizes and venues, and the `indexPrice` of a
///   reference member such as Deribit's index), and `arb.crypto.<id>` while
///   selling at the best bid beats buying at the best ask on another venue after both taker fees:
///   edge = (bid × (1 − fee_sell) − ask × (1 + fee_buy)) / (ask × (1 + fee_buy)).
/// - prediction (`outcomes.<venue>.<instrument>` members): `arb.prediction.<id>` while YES on one
///   venue and NO on another cost less than the $1 one of them pays: edge = 1 − (yes + no)
///   with fees on each price.
/// Formulas and examples: docs/guides/enrichment.md.
///
/// Threading: loop-confined.
final class CrossVenueEnricher {
    struct Quote {
        var bid: Double?
        var ask: Double?
        var bidSize: Double?
        var askSize: Double?
        /// A reference member's index price.
        var index: Double?
    }

    final class State {
        let mapping: InstrumentMapping
        /// Per member: the latest quote (crypto: bid/ask; prediction: YES and NO asks as bid/ask slots unused).
        var quotes: [Quote]
        var published: [Field] = []
        init(_ m: InstrumentMapping) {
            mapping = m
            quotes = Array(repeating: Quote(), count: m.members.count)
        }
    }

    private let config: EnrichmentConfig
    private let bid, ask, bidVolume, askVolume, bidVenue, askVenue, indexPrice: PropertyID
    private let bestBid, bestAsk, yesBid, yesAsk, noAsk, lastPrice: PropertyID
    private var states: [State] = []
    /// Member channel → (state index, member index). Keyed by parts, so a lookup builds no string.
    private var index: [ChannelKey: [(Int, Int)]] = [:]
    let crypto: ArbitrageTracker
    let prediction: ArbitrageTracker

    init(_ p: PropertyTable, config: EnrichmentConfig) {
        self.config = config
        bid = p.intern("bid")
        ask = p.intern("ask")
        bidVolume = p.intern("bidVolume")
        askVolume = p.intern("askVolume")
        bidVenue = p.intern("bidVenue")
        askVenue = p.intern("askVenue")
        indexPrice = p.intern("indexPrice")
        bestBid = p.intern("bestBid")
        bestAsk = p.intern("bestAsk")
        yesBid = p.intern("yesBid")
        yesAsk = p.intern("yesAsk")
        noAsk = p.intern("noAsk")
        lastPrice = p.intern("lastPrice")
        crypto = ArbitrageTracker(kind: "crypto", properties: p)
        prediction = ArbitrageTracker(kind: "prediction", properties: p)
    }

    /// Every mapping, `event` ones included (they are listed, not computed on).
    private(set) var mappings: [InstrumentMapping] = []

    /// Replaces the mappings. Quotes of members that stay are kept; opportunities of mappings
    /// that are gone or changed are retracted.
    func load(_ mappings: [InstrumentMapping], now: Int64, receiveTime: Int64, emit: (Tick) -> Void) {
        self.mappings = mappings
        var old: [String: State] = [:]
        for s in states { old[s.mapping.id] = s }
        states = []
        index = [:]
        for m in mappings where m.kind != .event {
            let s = State(m)
            if let before = old[m.id], before.mapping == m { s.quotes = before.quotes }
            for (i, member) in m.members.enumerated() {
                let key = ChannelKey(stream: m.kind == .crypto ? .ticker : .outcomes, source: member.venue, instrument: member.instrument)
                index[key, default: []].append((states.count, i))
            }
            states.append(s)
        }
        let kept = Set(mappings.filter { old[$0.id]?.mapping == $0 }.map(\.id))
        for tracker in [crypto, prediction] {
            for id in tracker.open.keys.sorted() where !kept.contains(id) {
                tracker.update(id: id, edge: nil, legs: "", time: now, receiveTime: receiveTime, emit: emit)
            }
        }
    }

    func observe(_ tick: Tick, emit: (Tick) -> Void) {
        guard tick.stream == .ticker || tick.stream == .outcomes, !index.isEmpty,
            let hits = index[ChannelKey(stream: tick.stream, source: tick.source, instrument: tick.instrument)]
        else { return }
        for (si, mi) in hits {
            let s = states[si]
            var q = s.quotes[mi]
            for f in tick.fields {
                switch f.id {
                case bid where s.mapping.kind == .crypto: q.bid = f.value.number
                case ask where s.mapping.kind == .crypto: q.ask = f.value.number
                case indexPrice where s.mapping.members[mi].isReference: q.index = f.value.number
                case bidVolume: q.bidSize = f.value.number
                case askVolume: q.askSize = f.value.number
                // Prediction: `bid` holds the member's YES ask, `ask` its NO ask.
                case bestAsk where s.mapping.kind == .prediction:
                    if s.mapping.members[mi].side == "no" { q.ask = f.value.number } else { q.bid = f.value.number }
                case yesAsk where s.mapping.kind == .prediction: q.bid = f.value.number
                case noAsk where s.mapping.kind == .prediction: q.ask = f.value.number
                default: break
                }
            }
            s.quotes[mi] = q
            switch s.mapping.kind {
            case .crypto: composite(s, tick, emit)
            case .prediction: predictionArbitrage(s, tick, emit)
            case .event: break
            }
        }
    }

    private func fee(_ venue: String) -> Double { config.fees[venue] ?? 0 }

    private func composite(_ s: State, _ tick: Tick, _ emit: (Tick) -> Void) {
        var bidAt = -1, askAt = -1
        var index: Double?
        for (i, q) in s.quotes.enumerated() {
            if s.mapping.members[i].isReference {
                index = q.index ?? index
                continue
            }
            guard let b = q.bid, let a = q.ask, b > 0, a > 0 else { continue }
            if bidAt < 0 || b > s.quotes[bidAt].bid! { bidAt = i }
            if askAt < 0 || a < s.quotes[askAt].ask! { askAt = i }
        }
        guard bidAt >= 0, askAt >= 0 else { return }
        let best = (
            bid: s.quotes[bidAt].bid!, bidSize: s.quotes[bidAt].bidSize, bidAt: bidAt, ask: s.quotes[askAt].ask!, askSize: s.quotes[askAt].askSize,
            askAt: askAt
        )
        let buy = s.mapping.members[best.askAt].venue, sell = s.mapping.members[best.bidAt].venue
        var fields = [Field(bid, .number(best.bid)), Field(ask, .number(best.ask)), Field(bidVenue, .string(sell)), Field(askVenue, .string(buy))]
        if let v = best.bidSize { fields.append(Field(bidVolume, .number(v))) }
        if let v = best.askSize { fields.append(Field(askVolume, .number(v))) }
        if let index { fields.append(Field(indexPrice, .number(index))) }
        if fields != s.published {
            s.published = fields
            emit(Tick(source: "composite", instrument: s.mapping.id, stream: .ticker, exchangeTime: tick.exchangeTime, receiveTime: tick.receiveTime, fields: fields))
        }
        var edge: Double?
        if best.bidAt != best.askAt, sell != buy {
            let cost = best.ask * (1 + fee(buy)), proceeds = best.bid * (1 - fee(sell))
            edge = (proceeds - cost) / cost
        }
        let size = best.bidSize.flatMap { b in best.askSize.map { min(b, $0) } }
        crypto.update(
            id: s.mapping.id, edge: edge, legs: "buy \(buy) \(best.ask), sell \(sell) \(best.bid)", size: size, time: tick.exchangeTime,
            receiveTime: tick.receiveTime, emit: emit)
    }

    private func predictionArbitrage(_ s: State, _ tick: Tick, _ emit: (Tick) -> Void) {
        // Per venue, the cheapest YES and NO (a venue may list its YES and NO tokens separately).
        var yes: [String: Double] = [:], no: [String: Double] = [:]
        for (i, q) in s.quotes.enumerated() {
            let venue = s.mapping.members[i].venue
            if let y = q.bid, y > 0, y < 1 { yes[venue] = min(yes[venue] ?? 1, y) }
            if let n = q.ask, n > 0, n < 1 { no[venue] = min(no[venue] ?? 1, n) }
        }
        var best: (cost: Double, yesVenue: String, yes: Double, noVenue: String, no: Double)?
        for (yv, y) in yes.sorted(by: { $0.key < $1.key }) {
            for (nv, n) in no.sorted(by: { $0.key < $1.key }) where nv != yv {
                let cost = y * (1 + fee(yv)) + n * (1 + fee(nv))
                if best == nil || cost < best!.cost { best = (cost, yv, y, nv, n) }
            }
        }
        let edge = best.map { 1 - $0.cost }
        let legs = best.map { "YES \($0.yesVenue) \($0.yes), NO \($0.noVenue) \($0.no)" } ?? ""
        prediction.update(id: s.mapping.id, edge: edge, legs: legs, time: tick.exchangeTime, receiveTime: tick.receiveTime, emit: emit)
    }
}
