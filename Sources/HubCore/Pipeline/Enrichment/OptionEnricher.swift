/// Option analytics (formula version 1) on option ticks with `underlyingPrice` S, `strike` K,
/// `expiry` (ms) and `optionType`:
/// moneyness = S / K; timeToExpiry = (expiry − tick time) / (365.25 × 86 400 000 ms), at least 0;
/// intrinsicValue = max(0, S − K) for a call, max(0, K − S) for a put, in the strike's currency.
/// The tick time is the venue's (`exchangeTime`), so replays compute what was true then.
///
/// Threading: loop-confined.
struct OptionEnricher {
    static let msPerYear = 365.25 * 86_400_000
    private let underlyingPrice, strike, expiry, optionType: PropertyID
    private let moneyness, timeToExpiry, intrinsicValue: PropertyID

    init(_ p: PropertyTable) {
        underlyingPrice = p.intern("underlyingPrice")
        strike = p.intern("strike")
        expiry = p.intern("expiry")
        optionType = p.intern("optionType")
        moneyness = p.intern("moneyness")
        timeToExpiry = p.intern("timeToExpiry")
        intrinsicValue = p.intern("intrinsicValue")
    }

    func enrich(_ tick: inout Tick) -> Bool {
        var s: Double?, k: Double?, t: Double?, call: Bool?
        // Where derived values already sit (a tick enriched before), found in the same pass:
        // `set` without an index searches every field again, once for each of the three.
        var atMoneyness: Int?, atIntrinsic: Int?, atTime: Int?
        for i in tick.fields.indices {
            switch tick.fields[i].id {
            case underlyingPrice: s = tick.fields[i].value.number
            case strike: k = tick.fields[i].value.number
            case expiry: t = tick.fields[i].value.number
            case optionType:
                if case .string(let v) = tick.fields[i].value { call = v == "call" ? true : v == "put" ? false : nil }
            // The first occurrence, as `Tick.set` would replace.
            case moneyness: atMoneyness = atMoneyness ?? i
            case intrinsicValue: atIntrinsic = atIntrinsic ?? i
            case timeToExpiry: atTime = atTime ?? i
            default: break
            }
        }
        var added = false
        if let s, let k, s > 0, k > 0 {
            tick.set(moneyness, .number(s / k), at: atMoneyness)
            if let call { tick.set(intrinsicValue, .number(call ? max(0, s - k) : max(0, k - s)), at: atIntrinsic) }
            added = true
        }
        if let t, tick.exchangeTime > 0 {
            tick.set(timeToExpiry, .number(max(0, t - Double(tick.exchangeTime)) / Self.msPerYear), at: atTime)
            added = true
        }
        return added
    }
}
