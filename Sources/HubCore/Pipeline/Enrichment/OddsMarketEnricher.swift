import Foundation

/// Cross-bookmaker enrichment of sportsbook odds, incremental per market. Quotes arrive on
/// `odds.<source>.<event>/<market>/<outcome>/<bookmaker>`; for the quote's market it keeps every
/// bookmaker's latest price per outcome and:
/// - adds to the quote its bookmaker's `overround` (Σ 1/d over the market's outcomes) and the
///   quote's `noVigProbability` ((1/d) / overround), when that bookmaker quotes every outcome —
///   and, since the overround moved, republishes both on the bookmaker's other quotes of the
///   market (or withdraws them when the bookmaker no longer quotes every outcome);
/// - publishes per outcome, on `odds.<source>.<event>/<market>/<outcome>`, the best line across
///   bookmakers (`bestOdds`, `bestBookmaker`, its `impliedProbability`) and sharp-book consensus
///   v1 (`sharpConsensus`: mean no-vig probability of the configured sharp books) and v2
///   (`sharpConsensusV2`: weighted by sharpness and halved every half-life of quote age) —
///   withdrawing what no longer holds (every quote suspended);
/// - reports `arb.sportsbook.<event>/<market>` while Σ 1/bestOdds < 1 over the outcomes.
/// Suspended quotes take part in nothing, and nothing market-wide is computed before every
/// outcome of the market (`outcomeCount`) has been seen. A market whose event closed is
/// forgotten once its last quote is suspended. Formulas: docs/guides/enrichment.md.
///
/// Threading: loop-confined.
final class OddsMarketEnricher {
    struct Quote {
        var decimal: Double
        var updatedAt: Int64
        var suspended: Bool
        /// The no-vig probability its channel carries (to republish only changes).
        var publishedNoVig: Double?
    }

    final class Market {
        let source: String
        let prefix: String  // "<event>/<market>"
        var outcomes: [String] = []  // in arrival order
        /// How many outcomes the market has (`outcomeCount`); nil when the source does not say.
        var expected: Int?
        /// Every outcome of the market is known: overround and arbitrage are meaningful.
        var complete: Bool { outcomes.count >= 2 && expected.map { outcomes.count >= $0 } ?? true }
        /// The descriptive fields of each outcome (event, participant, marketType, line…).
        var info: [String: [Field]] = [:]
        var books: [String: [String: Quote]] = [:]
        /// Bookmaker names in a fixed order (ties in best lines go to the first).
        var bookNames: [String] = []
        /// What each outcome's aggregate channel last carried (to publish changes only).
        var published: [String: [Field]] = [:]
        /// The latest quote time of the market: "now" for quote ages, whatever order quotes arrive in.
        var latest: Int64 = 0
        var closed = false
        init(source: String, prefix: String) {
            self.source = source
            self.prefix = prefix
        }
    }

    private let config: EnrichmentConfig
    private let oddsDecimal, suspended, outcomeCount, eventStatus: PropertyID
    private let overround, noVig, bestOdds, bestBookmaker, implied, consensus, consensusV2: PropertyID
    /// The descriptive properties an outcome's aggregate repeats from its quotes.
    private let infoIDs: Set<PropertyID>
    private let derivedIDs: [PropertyID]
    private var markets: [String: Market] = [:]
    let arbitrage: ArbitrageTracker

    init(_ p: PropertyTable, config: EnrichmentConfig) {
        self.config = config
        oddsDecimal = p.intern("oddsDecimal")
        suspended = p.intern("suspended")
        outcomeCount = p.intern("outcomeCount")
        eventStatus = p.intern("eventStatus")
        infoIDs = Set(["event", "outcome", "participant", "marketType", "line", "commenceTime", "eventStatus"].map { p.intern($0) })
        overround = p.intern("overround")
        noVig = p.intern("noVigProbability")
        bestOdds = p.intern("bestOdds")
        bestBookmaker = p.intern("bestBookmaker")
        implied = p.intern("impliedProbability")
        consensus = p.intern("sharpConsensus")
        consensusV2 = p.intern("sharpConsensusV2")
        derivedIDs = [bestOdds, bestBookmaker, implied, consensus, consensusV2]
        arbitrage = ArbitrageTracker(kind: "sportsbook", properties: p, minEdge: config.minEdge)
    }

    /// The markets held (REST and tests).
    var marketCount: Int { markets.count }

    /// What the aggregate channel `odds.<source>.<event>/<market>/<outcome>` carries now.
    func aggregate(source: String, event: String, market: String, outcome: String) -> [Field]? {
        markets[source + ":" + event + "/" + market]?.published[outcome]
    }

    func enrich(_ tick: inout Tick, emit: (Tick) -> Void) {
        // <event>/<market>/<outcome>/<bookmaker>; an aggregate (three parts) is ours: skip.
        let parts = tick.instrument.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 4 else { return }
        // A price refused by validation is withdrawn: the quote counts as not takeable (the last
        // valid price is no longer current) until a valid one comes.
        let given = tick.value(oddsDecimal)?.number
        let withdrawn = given == nil && tick.removed.contains(oddsDecimal)
        guard given != nil || withdrawn else { return }
        let book = String(parts[parts.count - 1]), out = String(parts[parts.count - 2])
        let prefix = parts[0..<(parts.count - 2)].joined(separator: "/")
        let key = tick.source + ":" + prefix
        guard let d = given ?? markets[key]?.books[book]?[out]?.decimal else { return }
        let m = markets[key] ?? Market(source: tick.source, prefix: prefix)
        markets[key] = m
        if m.info[out] == nil { m.outcomes.append(out) }
        if case .integer(let n) = tick.value(outcomeCount) { m.expected = Int(n) }
        m.info[out] = tick.fields.filter { infoIDs.contains($0.id) }
        m.closed = tick.value(eventStatus) == .string("closed")
        if m.books[book] == nil {
            m.bookNames.append(book)
            m.bookNames.sort()
        }
        let isSuspended = withdrawn || tick.value(suspended) == .bool(true)
        let previous = m.books[book]?[out]?.publishedNoVig
        m.books[book, default: [:]][out] = Quote(decimal: d, updatedAt: tick.exchangeTime, suspended: isSuspended, publishedNoVig: previous)
        m.latest = max(m.latest, tick.exchangeTime)
        dropVanishedOutcomes(m)

        let o = bookOverround(m, book)
        for other in m.outcomes {
            guard var q = m.books[book]?[other] else { continue }
            let p = o.flatMap { q.suspended ? nil : 1 / q.decimal / $0 }
            guard p.map({ v in q.publishedNoVig.map { abs($0 - v) > 1e-12 } ?? true }) ?? (q.publishedNoVig != nil) || other == out else { continue }
            q.publishedNoVig = p
            m.books[book]![other] = q
            if other == out {
                if let o, let p {
                    tick.set(overround, .number(o))
                    tick.set(noVig, .number(p))
                } else {
                    tick.removed += [overround, noVig]
                }
                continue
            }
            // The bookmaker's other quotes of the market: same overround, new no-vig (or none).
            var t = Tick(
                source: m.source, instrument: m.prefix + "/" + other + "/" + book, stream: .odds, exchangeTime: tick.exchangeTime, receiveTime: tick.receiveTime
            )
            if let o, let p { t.fields = [Field(overround, .number(o)), Field(noVig, .number(p))] } else { t.removed = [overround, noVig] }
            emit(t)
        }
        aggregate(m, receiveTime: tick.receiveTime, emit: emit)
        // An event that closed is forgotten once every quote says so.
        if m.closed && m.books.values.allSatisfy({ $0.values.allSatisfy(\.suspended) }) { markets[key] = nil }
    }

    /// Outcomes beyond `outcomeCount` whose every quote is suspended have left the market.
    private func dropVanishedOutcomes(_ m: Market) {
        guard let expected = m.expected, m.outcomes.count > expected else { return }
        let gone = m.outcomes.filter { o in m.books.values.allSatisfy { $0[o]?.suspended ?? true } }
        guard !gone.isEmpty else { return }
        m.outcomes.removeAll { gone.contains($0) }
        for o in gone {
            m.info[o] = nil
            m.published[o] = nil
            for b in m.books.keys { m.books[b]![o] = nil }
        }
    }

    /// Σ 1/d over the market's outcomes for one bookmaker, when it quotes all of them.
    private func bookOverround(_ m: Market, _ book: String) -> Double? {
        guard let quotes = m.books[book], m.complete else { return nil }
        var sum = 0.0
        for o in m.outcomes {
            guard let q = quotes[o], !q.suspended, q.decimal > 1 else { return nil }
            sum += 1 / q.decimal
        }
        return sum
    }

    /// Every quote of `source` suspended (its feed went down): best lines, consensus and
    /// opportunities that relied on them go.
    func suspend(source: String, time: Int64, receiveTime: Int64, emit: (Tick) -> Void) {
        for m in markets.values where m.source == source {
            for b in m.books.keys { for o in m.books[b]!.keys { m.books[b]![o]!.suspended = true } }
            aggregate(m, receiveTime: receiveTime, emit: emit)
        }
    }

    private func aggregate(_ m: Market, receiveTime: Int64, emit: (Tick) -> Void) {
        let now = m.latest
        // Each complete bookmaker's no-vig probabilities and the time of its oldest quote.
        var noVigs: [(book: String, sharp: Bool, weight: Double, p: [String: Double])] = []
        for book in m.bookNames {
            guard let o = bookOverround(m, book), let quotes = m.books[book] else { continue }
            var p: [String: Double] = [:]
            for out in m.outcomes { p[out] = 1 / quotes[out]!.decimal / o }
            let oldest = m.outcomes.map { quotes[$0]!.updatedAt }.min() ?? now
            let age = max(0, (Double(now) - Double(oldest)) / 1000)
            let weight = (config.sharpness[book] ?? config.defaultSharpness) * Self.halving(age, config.consensusHalfLifeSeconds)
            noVigs.append((book, config.sharpBooks.contains(book), weight, p))
        }
        var bestSum = 0.0, complete = m.complete
        var bests: [(out: String, d: Double, book: String)] = []
        for out in m.outcomes {
            var best: (d: Double, book: String)?
            for book in m.bookNames {
                guard let q = m.books[book]?[out], !q.suspended, q.decimal > 1 else { continue }
                if best == nil || q.decimal > best!.d { best = (q.decimal, book) }
            }
            var fields = m.info[out] ?? []
            if let best {
                fields.append(Field(bestOdds, .number(best.d)))
                fields.append(Field(bestBookmaker, .string(best.book)))
                fields.append(Field(implied, .number(1 / best.d)))
                bestSum += 1 / best.d
                bests.append((out, best.d, best.book))
            } else {
                complete = false
            }
            var sharpSum = 0.0, sharpCount = 0.0, weighted = 0.0, weights = 0.0
            for b in noVigs {
                guard let p = b.p[out] else { continue }
                if b.sharp {
                    sharpSum += p
                    sharpCount += 1
                }
                weighted += b.weight * p
                weights += b.weight
            }
            if sharpCount > 0 { fields.append(Field(consensus, .number(sharpSum / sharpCount))) }
            if weights > 0 { fields.append(Field(consensusV2, .number(weighted / weights))) }
            if m.published[out] != fields {
                m.published[out] = fields
                var t = Tick(source: m.source, instrument: m.prefix + "/" + out, stream: .odds, exchangeTime: now, receiveTime: receiveTime, fields: fields)
                // What no longer holds is withdrawn from the channel's state.
                t.removed = derivedIDs.filter { id in !fields.contains { $0.id == id } }
                emit(t)
            }
        }
        // Backing every outcome at its best price in proportion to 1/d returns 1/Σ per unit staked.
        let edge = complete && m.complete && bestSum > 0 ? 1 / bestSum - 1 : nil
        arbitrage.update(
            id: m.prefix, edge: edge,
            legs: { bests.map { "\($0.out)@\($0.book) \($0.d) stake \(Self.percent(1 / $0.d / bestSum))" }.joined(separator: ", ") },
            time: now, receiveTime: receiveTime, emit: emit)
    }

    static func percent(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }

    /// 2^(−age / halfLife).
    static func halving(_ age: Double, _ halfLife: Double) -> Double {
        halfLife > 0 ? exp2(-age / halfLife) : 1
    }
}
