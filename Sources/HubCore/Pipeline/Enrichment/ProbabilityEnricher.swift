/// Implied probability (formula version 1) on odds and prediction-market ticks:
/// - odds: 1 / oddsDecimal, else from oddsAmerican (+A → 100/(A+100), −A → A/(A+100));
/// - prediction outcomes: the mid of the best bid and ask (Polymarket `bestBid`/`bestAsk`,
///   Kalshi `yesBid`/`yesAsk`) when both are there and not crossed; a channel that has never had
///   both takes the last price (once it has, trades no longer move it: the book does).
///
/// Threading: loop-confined.
final class ProbabilityEnricher {
    private let oddsDecimal, oddsAmerican, bestBid, bestAsk, yesBid, yesAsk, lastPrice, implied: PropertyID
    /// Outcome channels priced from their book at least once.
    private var booked: Set<ChannelKey> = []

    init(_ p: PropertyTable) {
        oddsDecimal = p.intern("oddsDecimal")
        oddsAmerican = p.intern("oddsAmerican")
        bestBid = p.intern("bestBid")
        bestAsk = p.intern("bestAsk")
        yesBid = p.intern("yesBid")
        yesAsk = p.intern("yesAsk")
        lastPrice = p.intern("lastPrice")
        implied = p.intern("impliedProbability")
    }

    func enrichOdds(_ tick: inout Tick) -> Bool {
        var p: Double?
        if let d = tick.value(oddsDecimal)?.number { p = OddsMath.implied(decimal: d) }
        if p == nil, case .integer(let a) = tick.value(oddsAmerican) { p = OddsMath.implied(american: a) }
        guard let p else { return false }
        tick.set(implied, .number(p))
        return true
    }

    func enrichOutcome(_ tick: inout Tick) -> Bool {
        var bid: Double?, ask: Double?, last: Double?
        for f in tick.fields {
            switch f.id {
            case bestBid, yesBid: bid = f.value.number
            case bestAsk, yesAsk: ask = f.value.number
            case lastPrice: last = f.value.number
            default: break
            }
        }
        let p: Double
        if let b = bid, let a = ask, b <= a, b >= 0, a <= 1 {
            p = (b + a) / 2
            if booked.count < 1_000_000 { booked.insert(ChannelKey(stream: tick.stream, source: tick.source, instrument: tick.instrument)) }
        } else if let l = last, l >= 0, l <= 1,
            !booked.contains(ChannelKey(stream: tick.stream, source: tick.source, instrument: tick.instrument))
        {
            p = l
        } else {
            return false
        }
        tick.set(implied, .number(p))
        return true
    }
}
