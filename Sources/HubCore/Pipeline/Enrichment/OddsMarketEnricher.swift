import Foundation

/// Cross-bookmaker enrichment of sportsbook odds, incremental per market. Quotes arrive on
/// `odds.<source>.<event>/<market>/<outcome>/<bookmaker>`; for the quote's market it keeps every
/// bookmaker's latest price per outcome and:
/// - adds to the quote its bookmaker's `overround` (Σ 1/d over the market's outcomes) and the
///   quote's `noVigProbability` ((1/d) / overround), when that bookmaker quotes every outcome —
///   and, since the overround moved, republishes both on the bookmaker's other quotes of the market;
/// - publishes per outcome, on `odds.<source>.<event>/<market>/<outcome>`, the best line across
///   bookmakers (`bestOdds`, `bestBookmaker`, its `impliedProbability`) and sharp-book consensus
///   v1 (`sharpConsensus`: mean no-vig probability of the configured sharp books) and v2
///   (`sharpConsensusV2`: weighted by sharpness and halved every half-life of quote age);
/// - reports `arb.sportsbook.<event>/<market>` while Σ 1/bestOdds < 1 over the outcomes.
/// Suspended quotes take part in nothing, and nothing market-wide is computed before every
/// outcome of the market (`outcomeCount`) has been seen. Formulas: docs/guides/enrichment.md.
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
        /// What each outcome's aggregate channel last carried (to publish changes only).
        var published: [String: [Field]] = [:]
        init(source: String, prefix: String) {
            self.source = source
            self.prefix = prefix
        }
    }

    private let config: EnrichmentConfig
    private let oddsDecimal, suspended, outcomeCount, event, outcome, participant, marketType, line, commenceTime, eventStatus: PropertyID
    private let overround, noVig, bestOdds, bestBookmaker, implied, consensus, consensusV2: PropertyID
    private var markets: [String: Market] = [:]
    let arbitrage: ArbitrageTracker

    init(_ p: PropertyTable, config: EnrichmentConfig) {
        self.config = config
        oddsDecimal = p.intern("oddsDecimal")
        suspended = p.intern("suspended")
        outcomeCount = p.intern("outcomeCount")
        event = p.intern("event")
        outcome = p.intern("outcome")
        participant = p.intern("participant")
        marketType = p.intern("marketType")
        line = p.intern("line")
        commenceTime = p.intern("commenceTime")
        eventStatus = p.intern("eventStatus")
        overround = p.intern("overround")
        noVig = p.intern("noVigProbability")
        bestOdds = p.intern("bestOdds")
        bestBookmaker = p.intern("bestBookmaker")
        implied = p.intern("impliedProbability")
        consensus = p.intern("sharpConsensus")
        consensusV2 = p.intern("sharpConsensusV2")
        arbitrage = ArbitrageTracker(kind: "sportsbook", properties: p)
    }

    /// The markets held (REST and tests): `<source>:<event>/<market>`.
    var marketCount: Int { markets.count }

    /// What the aggregate channel `odds.<source>.<event>/<market>/<outcome>` carries now.
    func aggregate(source: String, event: String, market: String, outcome: String) -> [Field]? {
        markets[source + ":" + event + "/" + market]?.published[outcome]
    }

    func enrich(_ tick: inout Tick, emit: (Tick) -> Void) {
        // <event>/<market>/<outcome>/<bookmaker>; an aggregate (three parts) is ours: skip.
        let parts = tick.instrument.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 4, let d = tick.value(oddsDecimal)?.number else { return }
        let book = String(parts[parts.count - 1]), out = String(parts[parts.count - 2])
        let prefix = parts[0..<(parts.count - 2)].joined(separator: "/")
        let key = tick.source + ":" + prefix
        let m = markets[key] ?? Market(source: tick.source, prefix: prefix)
        markets[key] = m
        if m.info[out] == nil { m.outcomes.append(out) }
        if case .integer(let n) = tick.value(outcomeCount) { m.expected = Int(n) }
        m.info[out] = tick.fields.filter { [event, outcome, participant, marketType, line, commenceTime, eventStatus].contains($0.id) }
        let isSuspended = tick.value(suspended) == .bool(true)
        m.books[book, default: [:]][out] = Quote(decimal: d, updatedAt: tick.exchangeTime, suspended: isSuspended)

        if let o = bookOverround(m, book) {
            tick.set(overround, .number(o))
            tick.set(noVig, .number(1 / d / o))
            m.books[book]![out]!.publishedNoVig = 1 / d / o
            // The bookmaker's other quotes of the market: same overround, new no-vig.
            for other in m.outcomes where other != out {
                guard var q = m.books[book]?[other] else { continue }
                let p = 1 / q.decimal / o
                guard q.publishedNoVig.map({ abs($0 - p) > 1e-12 }) ?? true else { continue }
                q.publishedNoVig = p
                m.books[book]![other] = q
                emit(Tick(
                    source: m.source, instrument: m.prefix + "/" + other + "/" + book, stream: .odds, exchangeTime: tick.exchangeTime,
                    receiveTime: tick.receiveTime, fields: [Field(overround, .number(o)), Field(noVig, .number(p))]))
            }
        }
        aggregate(m, now: tick.exchangeTime, receiveTime: tick.receiveTime, emit: emit)
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

    private func aggregate(_ m: Market, now: Int64, receiveTime: Int64, emit: (Tick) -> Void) {
        // Each complete bookmaker's no-vig probabilities and the age of its oldest quote.
        var noVigs: [(book: String, p: [String: Double], updated: Int64)] = []
        let bookNames = m.books.keys.sorted()
        for book in bookNames {
            guard let o = bookOverround(m, book), let quotes = m.books[book] else { continue }
            var p: [String: Double] = [:]
            for out in m.outcomes { p[out] = 1 / quotes[out]!.decimal / o }
            noVigs.append((book, p, m.outcomes.map { quotes[$0]!.updatedAt }.min() ?? now))
        }
        var bestSum = 0.0, complete = true
        var bests: [(out: String, d: Double, book: String)] = []
        for out in m.outcomes {
            var best: (d: Double, book: String)?
            for book in bookNames {
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
            let sharp = noVigs.filter { config.sharpBooks.contains($0.book) }.compactMap { $0.p[out] }
            if !sharp.isEmpty { fields.append(Field(consensus, .number(sharp.reduce(0, +) / Double(sharp.count)))) }
            var weighted = 0.0, weights = 0.0
            for b in noVigs {
                guard let p = b.p[out] else { continue }
                let age = max(0, Double(now - b.updated) / 1000)
                let w = (config.sharpness[b.book] ?? config.defaultSharpness) * Self.halving(age, config.consensusHalfLifeSeconds)
                weighted += w * p
                weights += w
            }
            if weights > 0 { fields.append(Field(consensusV2, .number(weighted / weights))) }
            if m.published[out] != fields {
                m.published[out] = fields
                emit(Tick(source: m.source, instrument: m.prefix + "/" + out, stream: .odds, exchangeTime: now, receiveTime: receiveTime, fields: fields))
            }
        }
        let edge = complete && m.complete ? 1 - bestSum : nil
        // Each leg with its share of the stake (1/d ÷ Σ 1/d): every outcome then returns the same.
        let legs = bests.map { "\($0.out)@\($0.book) \($0.d) stake \(Self.percent(1 / $0.d / bestSum))" }.joined(separator: ", ")
        arbitrage.update(id: m.prefix, edge: edge, legs: legs, time: now, receiveTime: receiveTime, emit: emit)
    }

    static func percent(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }

    /// 2^(−age / halfLife).
    static func halving(_ age: Double, _ halfLife: Double) -> Double {
        halfLife > 0 ? exp2(-age / halfLife) : 1
    }
}
