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
        // `Tick.set` searched every field again for each of the three.
        var atMoneyness = -1, atIntrinsic = -1, atTime = -1
        for i in tick.fields.indices {
            switch tick.fields[i].id {
            case underlyingPrice: s = tick.fields[i].value.number
            case strike: k = tick.fields[i].value.number
            case expiry: t = tick.fields[i].value.number
            case optionType:
                if case .string(let v) = tick.fields[i].value { call = v == "call" ? true : v == "put" ? false : nil }
            // The first occurrence, as `Tick.set` would replace.
            case moneyness: if atMoneyness < 0 { atMoneyness = i }
            case intrinsicValue: if atIntrinsic < 0 { atIntrinsic = i }
            case timeToExpiry: if atTime < 0 { atTime = i }
            default: break
            }
        }
        var added = false
        if let s, let k, s > 0, k > 0 {
            Self.put(&tick, at: atMoneyness, moneyness, s / k)
            if let call { Self.put(&tick, at: atIntrinsic, intrinsicValue, call ? max(0, s - k) : max(0, k - s)) }
            added = true
        }
        if let t, tick.exchangeTime > 0 {
            Self.put(&tick, at: atTime, timeToExpiry, max(0, t - Double(tick.exchangeTime)) / Self.msPerYear)
            added = true
        }
        return added
    }

    /// Replaces the value at `index`, or appends the property when it is not there (-1).
    private static func put(_ tick: inout Tick, at index: Int, _ id: PropertyID, _ value: Double) {
        if index >= 0 {
            tick.fields[index].value = .number(value)
        } else {
            tick.fields.append(Field(id, .number(value)))
        }
    }
}
