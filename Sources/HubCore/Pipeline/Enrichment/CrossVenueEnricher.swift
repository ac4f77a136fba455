/// Cross-venue results of the mappings, incremental per mapping: a tick on a mapped channel
/// updates its member's quote and recomputes that one mapping.
/// - crypto (`ticker.<venue>.<instrument>` members): the composite best bid and offer of the spot
///   members on `ticker.composite.<id>` (`bid`, `ask`, their sizes and venues, and the
///   `indexPrice` of a reference member such as Deribit's index), and `arb.crypto.<id>` while
///   selling on one venue beats buying on another after both taker fees (venues compared after
///   fees): edge = (bid × (1 − fee_sell) − ask × (1 + fee_buy)) / (ask × (1 + fee_buy)).
///   With a `perp` member the composite also carries its basis against the spot mid and its
///   funding: basis = perp mid − spot mid, annualisedBasis = basis / spot mid × periods a year,
///   annualisedFunding = fundingRate × periods a year (periods of `fundingIntervalHours`).
/// - prediction (`outcomes.<venue>.<instrument>` members): `arb.prediction.<id>` while YES on one
///   venue and NO on another cost less than the $1 one of them pays:
///   edge = (1 − cost) / cost, cost = yes × (1 + fee) + no × (1 + fee).
/// Quotes older than `maxQuoteAgeSeconds`, and every quote of a venue whose feed went down,
/// take no part. Formulas and examples: docs/guides/enrichment.md.
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
        /// A perp member's funding rate and next funding time.
        var fundingRate: Double?
        var nextFundingTime: Int64?
        /// When the venue's data arrived (µs): old quotes do not count.
        var receivedAt: Int64 = 0
        /// When its best prices last arrived (µs): a perp's mark prices keep coming while its
        /// book may have gone quiet, and an old book makes no basis.
        var bookAt: Int64 = 0
    }

    final class State {
        let mapping: InstrumentMapping
        /// Per member: the latest quote (prediction: `bid` holds the YES ask, `ask` the NO ask).
        var quotes: [Quote]
        var published: [Field] = []
        init(_ m: InstrumentMapping) {
            mapping = m
            quotes = Array(repeating: Quote(), count: m.members.count)
        }
    }

    private let config: EnrichmentConfig
    private let bid, ask, bidVolume, askVolume, bidVenue, askVenue, indexPrice: PropertyID
    private let fundingRate, nextFundingTime, basis, annualisedBasis, annualisedFunding: PropertyID
    /// Composite properties a tick may lack (removed from the channel's state when it does).
    private let optionalIDs: [PropertyID]
    private let bestAsk, yesBid, yesAsk, noBid, noAsk, bestBid: PropertyID
    private let compositeIDs: [PropertyID]
    private let bookPriceIDs: Set<PropertyID>
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
        fundingRate = p.intern("fundingRate")
        nextFundingTime = p.intern("nextFundingTime")
        basis = p.intern("basis")
        annualisedBasis = p.intern("annualisedBasis")
        annualisedFunding = p.intern("annualisedFunding")
        optionalIDs = [bidVolume, askVolume, indexPrice, basis, annualisedBasis, fundingRate, nextFundingTime, annualisedFunding]
        bestBid = p.intern("bestBid")
        bestAsk = p.intern("bestAsk")
        yesBid = p.intern("yesBid")
        yesAsk = p.intern("yesAsk")
        noBid = p.intern("noBid")
        noAsk = p.intern("noAsk")
        bookPriceIDs = [bestBid, bestAsk, yesBid, yesAsk, noBid, noAsk]
        compositeIDs = [bid, ask, bidVenue, askVenue] + optionalIDs + ["mid", "spread", "spreadBps", "microprice"].map { p.intern($0) }
        crypto = ArbitrageTracker(kind: "crypto", properties: p, minEdge: config.minEdge)
        prediction = ArbitrageTracker(kind: "prediction", properties: p, minEdge: config.minEdge)
    }

    /// Every mapping, `event` ones included (they are listed, not computed on).
    private(set) var mappings: [InstrumentMapping] = []

    /// Replaces the mappings. Quotes of mappings whose kind and members stay are kept (a new
    /// description changes nothing); opportunities of removed or changed mappings are
    /// retracted, and the composite quotes of removed crypto mappings withdrawn.
    func load(_ mappings: [InstrumentMapping], now: Int64, receiveTime: Int64, emit: (Tick) -> Void) {
        func same(_ a: InstrumentMapping, _ b: InstrumentMapping) -> Bool { a.kind == b.kind && a.members == b.members }
        self.mappings = mappings
        var old: [String: State] = [:]
        for s in states { old[s.mapping.id] = s }
        states = []
        index = [:]
        for m in mappings where m.kind != .event {
            let s = State(m)
            if let before = old[m.id], same(before.mapping, m) {
                s.quotes = before.quotes
                s.published = before.published
            }
            for (i, member) in m.members.enumerated() {
                let key = ChannelKey(stream: m.kind == .crypto ? .ticker : .outcomes, source: member.venue, instrument: member.instrument)
                index[key, default: []].append((states.count, i))
            }
            states.append(s)
        }
        let kept = Set(mappings.filter { m in old[m.id].map { same($0.mapping, m) } ?? false }.map(\.id))
        for tracker in [crypto, prediction] {
            for id in tracker.open.keys.sorted() where !kept.contains(id) {
                tracker.update(id: id, edge: nil, legs: { "" }, time: now, receiveTime: receiveTime, emit: emit)
            }
        }
        let current = Set(mappings.filter { $0.kind == .crypto }.map(\.id))
        for (id, s) in old where s.mapping.kind == .crypto && !current.contains(id) && !s.published.isEmpty {
            var t = Tick(source: "composite", instrument: id, stream: .ticker, exchangeTime: now, receiveTime: receiveTime)
            t.removed = compositeIDs
            emit(t)
        }
    }

    /// The feed of `venue` went down: its quotes are forgotten and the mappings recomputed.
    func forget(venue: String, time: Int64, receiveTime: Int64, emit: (Tick) -> Void) {
        for s in states where s.mapping.members.contains(where: { $0.venue == venue }) {
            for (i, m) in s.mapping.members.enumerated() where m.venue == venue { s.quotes[i] = Quote() }
            recompute(s, time: time, receiveTime: receiveTime, emit)
        }
    }

    func observe(_ tick: Tick, emit: (Tick) -> Void) {
        guard tick.stream == .ticker || tick.stream == .outcomes, !index.isEmpty,
            let hits = index[ChannelKey(stream: tick.stream, source: tick.source, instrument: tick.instrument)]
        else { return }
        for (si, mi) in hits {
            let s = states[si]
            var q = s.quotes[mi]
            let member = s.mapping.members[mi]
            if s.mapping.kind == .crypto {
                for f in tick.fields {
                    switch f.id {
                    case indexPrice where member.isReference: q.index = f.value.number
                    case fundingRate where member.isPerp: q.fundingRate = f.value.number
                    case nextFundingTime where member.isPerp: q.nextFundingTime = f.value.number.map { Int64($0) }
                    case bid:
                        q.bid = f.value.number
                        q.bookAt = tick.receiveTime
                    case ask:
                        q.ask = f.value.number
                        q.bookAt = tick.receiveTime
                    case bidVolume: q.bidSize = f.value.number
                    case askVolume: q.askSize = f.value.number
                    default: break
                    }
                }
            } else {
                // A tick with book prices carries them all: a side it leaves out is empty.
                // (Trade ticks carry none and change nothing.)
                guard tick.fields.contains(where: { bookPriceIDs.contains($0.id) }) || tick.removed.contains(where: { bookPriceIDs.contains($0) }) else {
                    continue
                }
                q.bid = nil
                q.ask = nil
                var yesBidPrice: Double?
                for f in tick.fields {
                    switch f.id {
                    case bestAsk: if member.side == "no" { q.ask = f.value.number } else { q.bid = f.value.number }
                    case yesAsk: q.bid = f.value.number
                    case noAsk: q.ask = f.value.number
                    case yesBid: yesBidPrice = f.value.number
                    default: break
                    }
                }
                // A market quoting both sides: NO is bought at 1 − the best YES bid.
                if member.side == nil, q.ask == nil, let y = yesBidPrice { q.ask = 1 - y }
            }
            q.receivedAt = tick.receiveTime
            s.quotes[mi] = q
            recompute(s, time: tick.exchangeTime, receiveTime: tick.receiveTime, emit)
        }
    }

    private func recompute(_ s: State, time: Int64, receiveTime: Int64, _ emit: (Tick) -> Void) {
        switch s.mapping.kind {
        case .crypto: composite(s, time, receiveTime, emit)
        case .prediction: predictionArbitrage(s, time, receiveTime, emit)
        case .event: break
        }
    }

    private func fee(_ venue: String) -> Double { config.fees[venue] ?? 0 }

    private func fresh(_ q: Quote, _ receiveTime: Int64) -> Bool {
        Double(receiveTime - q.receivedAt) <= config.maxQuoteAgeSeconds * 1e6
    }

    private func composite(_ s: State, _ time: Int64, _ receiveTime: Int64, _ emit: (Tick) -> Void) {
        var bidAt = -1, askAt = -1
        var index: Double?
        var perp: Quote?
        for (i, q) in s.quotes.enumerated() where fresh(q, receiveTime) {
            if s.mapping.members[i].isReference {
                index = q.index ?? index
                continue
            }
            if s.mapping.members[i].isPerp {
                perp = q
                continue
            }
            guard let b = q.bid, let a = q.ask, b > 0, a > 0 else { continue }
            if bidAt < 0 || b > s.quotes[bidAt].bid! { bidAt = i }
            if askAt < 0 || a < s.quotes[askAt].ask! { askAt = i }
        }
        guard bidAt >= 0, askAt >= 0 else {
            crypto.update(id: s.mapping.id, edge: nil, legs: { "" }, time: time, receiveTime: receiveTime, emit: emit)
            return
        }
        let bq = s.quotes[bidAt], aq = s.quotes[askAt]
        let buy = s.mapping.members[askAt].venue, sell = s.mapping.members[bidAt].venue
        var fields = [Field(bid, .number(bq.bid!)), Field(ask, .number(aq.ask!)), Field(bidVenue, .string(sell)), Field(askVenue, .string(buy))]
        if let v = bq.bidSize { fields.append(Field(bidVolume, .number(v))) }
        if let v = aq.askSize { fields.append(Field(askVolume, .number(v))) }
        if let index { fields.append(Field(indexPrice, .number(index))) }
        if let perp { carry(perp, spotMid: (bq.bid! + aq.ask!) / 2, receiveTime: receiveTime, into: &fields) }
        if fields != s.published {
            s.published = fields
            var t = Tick(source: "composite", instrument: s.mapping.id, stream: .ticker, exchangeTime: time, receiveTime: receiveTime, fields: fields)
            t.removed = optionalIDs.filter { id in !fields.contains { $0.id == id } }
            emit(t)
        }
        // Arbitrage compares prices after fees: the cheapest venue to buy from and the best to sell
        // to once fees are paid, which need not be the raw best bid and ask shown above.
        var sellAt = -1, buyAt = -1, proceeds = 0.0, cost = 0.0
        for (i, q) in s.quotes.enumerated() where fresh(q, receiveTime) && s.mapping.members[i].isSpot {
            guard let b = q.bid, let a = q.ask, b > 0, a > 0 else { continue }
            let venue = s.mapping.members[i].venue
            let p = b * (1 - fee(venue)), c = a * (1 + fee(venue))
            if sellAt < 0 || p > proceeds { (sellAt, proceeds) = (i, p) }
            if buyAt < 0 || c < cost { (buyAt, cost) = (i, c) }
        }
        var edge: Double?
        let seller = s.mapping.members[sellAt], buyer = s.mapping.members[buyAt]
        if sellAt != buyAt, seller.venue != buyer.venue { edge = (proceeds - cost) / cost }
        let sq = s.quotes[sellAt], bq2 = s.quotes[buyAt]
        let size = sq.bidSize.flatMap { b in bq2.askSize.map { min(b, $0) } }
        crypto.update(
            id: s.mapping.id, edge: edge, legs: { "buy \(buyer.venue) \(bq2.ask!), sell \(seller.venue) \(sq.bid!)" }, size: size, time: time,
            receiveTime: receiveTime, emit: emit)
    }

    /// The perp's basis against the spot mid, and its funding, annualised over funding periods
    /// of `fundingIntervalHours` (a perp has no expiry: its premium is paid away each period).
    private func carry(_ perp: Quote, spotMid: Double, receiveTime: Int64, into fields: inout [Field]) {
        let periodsPerYear = 365 * 24 / config.fundingIntervalHours
        let bookFresh = Double(receiveTime - perp.bookAt) <= config.maxQuoteAgeSeconds * 1e6
        if bookFresh, let b = perp.bid, let a = perp.ask, b > 0, a > 0, spotMid > 0 {
            let difference = (b + a) / 2 - spotMid
            fields.append(Field(basis, .number(difference)))
            fields.append(Field(annualisedBasis, .number(difference / spotMid * periodsPerYear)))
        }
        if let r = perp.fundingRate {
            fields.append(Field(fundingRate, .number(r)))
            fields.append(Field(annualisedFunding, .number(r * periodsPerYear)))
        }
        if let t = perp.nextFundingTime { fields.append(Field(nextFundingTime, .integer(t))) }
    }

    private func predictionArbitrage(_ s: State, _ time: Int64, _ receiveTime: Int64, _ emit: (Tick) -> Void) {
        // Per venue, the cheapest YES and NO (a venue may list its YES and NO tokens separately).
        var yes: [String: Double] = [:], no: [String: Double] = [:]
        for (i, q) in s.quotes.enumerated() where fresh(q, receiveTime) {
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
        // Both legs cost `cost` and pay $1 together: (1 − cost) / cost per unit staked.
        let edge = best.map { (1 - $0.cost) / $0.cost }
        prediction.update(
            id: s.mapping.id, edge: edge, legs: { best.map { "YES \($0.yesVenue) \($0.yes), NO \($0.noVenue) \($0.no)" } ?? "" }, time: time,
            receiveTime: receiveTime, emit: emit)
    }
}
