/// Quote-derived properties (formula version 1) on any tick with a best bid and ask:
/// mid = (bid + ask) / 2; spread = ask − bid; spreadBps = spread / mid × 10⁴;
/// microprice = (bid × askVolume + ask × bidVolume) / (bidVolume + askVolume).
/// Skipped when either side is missing or not positive (an empty or one-sided book).
///
/// Threading: loop-confined.
struct QuoteEnricher {
    private let bid, ask, bidVolume, askVolume: PropertyID
    private let mid, spread, spreadBps, microprice: PropertyID

    init(_ p: PropertyTable) {
        bid = p.intern("bid")
        ask = p.intern("ask")
        bidVolume = p.intern("bidVolume")
        askVolume = p.intern("askVolume")
        mid = p.intern("mid")
        spread = p.intern("spread")
        spreadBps = p.intern("spreadBps")
        microprice = p.intern("microprice")
    }

    /// True when it added anything.
    func enrich(_ tick: inout Tick) -> Bool {
        var b = 0.0, a = 0.0, bv = -1.0, av = -1.0
        // By index: binding each field copied it (and retained a string value).
        for i in tick.fields.indices {
            switch tick.fields[i].id {
            case bid: b = tick.fields[i].value.number ?? 0
            case ask: a = tick.fields[i].value.number ?? 0
            case bidVolume: bv = tick.fields[i].value.number ?? -1
            case askVolume: av = tick.fields[i].value.number ?? -1
            default: break
            }
        }
        guard b > 0, a > 0 else { return false }
        let m = (b + a) / 2
        tick.fields.append(Field(mid, .number(m)))
        tick.fields.append(Field(spread, .number(a - b)))
        tick.fields.append(Field(spreadBps, .number((a - b) / m * 10_000)))
        if bv >= 0, av >= 0, bv + av > 0 {
            tick.fields.append(Field(microprice, .number((b * av + a * bv) / (bv + av))))
        }
        return true
    }
}
