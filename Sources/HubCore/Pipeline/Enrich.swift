/// Enrichment: derived properties computed from a tick (and, later, cross-venue state).
/// Each derived property names its inputs and formula version in the registry (lineage).
///
/// Threading: loop-confined.
public final class Enrich: @unchecked Sendable {
    private let bid, ask, bidVolume, askVolume: PropertyID
    private let mid, spread, spreadBps, microprice: PropertyID
    public private(set) var derived: UInt64 = 0

    public init(properties: PropertyTable) {
        bid = properties.intern("bid")
        ask = properties.intern("ask")
        bidVolume = properties.intern("bidVolume")
        askVolume = properties.intern("askVolume")
        mid = properties.intern("mid")
        spread = properties.intern("spread")
        spreadBps = properties.intern("spreadBps")
        microprice = properties.intern("microprice")
    }

    /// Adds quote-derived properties (v1 formulas):
    /// mid = (bid + ask) / 2; spread = ask − bid; spreadBps = spread / mid × 10⁴;
    /// microprice = (bid × askVolume + ask × bidVolume) / (bidVolume + askVolume).
    /// Skipped when either side is missing or not positive (an empty or one-sided book).
    public func enrich(_ tick: inout Tick) {
        var b = 0.0, a = 0.0, bv = -1.0, av = -1.0
        for f in tick.fields {
            switch f.id {
            case bid: b = f.value.number ?? 0
            case ask: a = f.value.number ?? 0
            case bidVolume: bv = f.value.number ?? -1
            case askVolume: av = f.value.number ?? -1
            default: break
            }
        }
        guard b > 0, a > 0 else { return }
        let m = (b + a) / 2
        tick.fields.append(Field(mid, .number(m)))
        tick.fields.append(Field(spread, .number(a - b)))
        tick.fields.append(Field(spreadBps, .number((a - b) / m * 10_000)))
        if bv >= 0, av >= 0, bv + av > 0 {
            tick.fields.append(Field(microprice, .number((b * av + a * bv) / (bv + av))))
        }
        derived += 1
    }
}
