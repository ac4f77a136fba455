import HubCore
import SimdJSON

/// Decodes Kalshi trade API v2 WebSocket messages (EXAMPLES.md §3): the current fixed-point
/// dollar strings (`yes_dollars_fp`, `price_dollars`, `delta_fp`, `count_fp`) and, where a
/// message lacks them, the older dollar strings and integer-cent fields.
///
/// Threading: one codec per connection, used on the loop thread.
public final class KalshiCodec {
    private let parser = JSONParser(maxDocumentBytes: 32 << 20)

    public init() {}

    public func decode(_ bytes: UnsafeRawBufferPointer) throws -> KalshiMessage {
        do {
            return try parser.parse(bytes) { root in try Self.message(root) }
        } catch let e as VenueDecodeError {
            throw e
        } catch {
            throw VenueDecodeError("\(error)")
        }
    }

    static func message(_ root: JSONElement) throws -> KalshiMessage {
        guard root.kind == .object, let type = root["type"] else { throw VenueDecodeError("message without type") }
        let id = root["id"]?.int64
        let msg = root["msg"]
        if type.stringEquals("subscribed") {
            guard let m = msg, let channel = m["channel"]?.string, let sid = m["sid"]?.int64 else {
                throw VenueDecodeError("subscribed without channel and sid")
            }
            return .subscribed(id: id, channel: channel, sid: sid)
        }
        if type.stringEquals("ok") || type.stringEquals("unsubscribed") { return .ok(id: id) }
        if type.stringEquals("error") {
            return .error(id: id, code: msg?["code"]?.int64 ?? 0, message: msg?["msg"]?.string ?? "error")
        }
        guard let m = msg else { throw VenueDecodeError("\(type.string ?? "message") without msg") }
        let sid = root["sid"]?.int64 ?? 0, seq = root["seq"]?.int64
        guard let market = m["market_ticker"]?.string else { throw VenueDecodeError("message without market_ticker") }
        if type.stringEquals("orderbook_snapshot") {
            guard let seq else { throw VenueDecodeError("orderbook_snapshot without seq") }
            return .snapshot(sid: sid, seq: seq, market: market, yes: try side(m, "yes"), no: try side(m, "no"))
        }
        if type.stringEquals("orderbook_delta") {
            guard let seq else { throw VenueDecodeError("orderbook_delta without seq") }
            guard let price = dollars(m["price_dollars"]) ?? m["price"]?.double.map({ $0 / 100 }),
                let delta = decimal(m["delta_fp"]) ?? m["delta"]?.double, let s = m["side"]
            else { throw VenueDecodeError("orderbook_delta without price, delta, side") }
            let yes = s.stringEquals("yes")
            guard yes || s.stringEquals("no") else { throw VenueDecodeError("orderbook_delta side is not yes or no") }
            return .delta(sid: sid, seq: seq, market: market, price: price, delta: delta, yes: yes)
        }
        if type.stringEquals("ticker") {
            let yesBid = price(m["yes_bid_dollars"], m["yes_bid"]), yesAsk = price(m["yes_ask_dollars"], m["yes_ask"])
            var withdrawn: [KalshiField] = []
            if yesBid == nil && named(m["yes_bid_dollars"], m["yes_bid"]) { withdrawn.append(.yesBid) }
            if yesAsk == nil && named(m["yes_ask_dollars"], m["yes_ask"]) { withdrawn.append(.yesAsk) }
            return .ticker(
                market: market, price: price(m["price_dollars"], m["price"]), yesBid: yesBid, yesAsk: yesAsk,
                volume: quantity(m["volume_fp"], m["volume"]), openInterest: quantity(m["open_interest_fp"], m["open_interest"]),
                time: m["ts_ms"]?.int64 ?? (m["ts"]?.int64).map { $0 * 1000 } ?? 0, withdrawn: withdrawn)
        }
        if type.stringEquals("trade") {
            guard let tid = m["trade_id"]?.string, let yesPrice = price(m["yes_price_dollars"], m["yes_price"]),
                let count = quantity(m["count_fp"], m["count"]), let taker = m["taker_side"]
            else { throw VenueDecodeError("trade without trade_id, yes price, count, taker_side") }
            return .trade(
                sid: sid, seq: seq, id: tid, market: market, yesPrice: yesPrice, count: count, takerYes: taker.stringEquals("yes"),
                time: m["ts_ms"]?.int64 ?? (m["ts"]?.int64).map { $0 * 1000 } ?? 0)
        }
        return .ignored
    }

    /// `yes_dollars_fp` ([["0.0800","300.00"]]), else `yes_dollars` ([["0.080",300]]), else `yes` ([[8,300]] cents).
    static func side(_ m: JSONElement, _ name: StaticString) throws -> [PriceLevel] {
        let fp: JSONElement?, dl: JSONElement?, ct: JSONElement?
        switch name.description {
        case "yes": (fp, dl, ct) = (m["yes_dollars_fp"], m["yes_dollars"], m["yes"])
        default: (fp, dl, ct) = (m["no_dollars_fp"], m["no_dollars"], m["no"])
        }
        guard let levels = (fp ?? dl ?? ct)?.array else { return [] }  // a side with no bids is left out
        var out: [PriceLevel] = []
        for l in levels {
            guard var pair = l.array, pair.count >= 2, let pe = pair.next(), let qe = pair.next() else {
                throw VenueDecodeError("a level is not [price, quantity]")
            }
            let price = fp != nil || dl != nil ? dollars(pe) : cents(pe)
            guard let p = price, let q = decimal(qe) ?? qe.double else { throw VenueDecodeError("a level is not [price, quantity]") }
            out.append(PriceLevel(price: p, amount: q))
        }
        return out
    }

    @inline(__always)
    static func decimal(_ e: JSONElement?) -> Double? {
        guard let e else { return nil }
        return e.withStringBytes { $0.isEmpty ? nil : DecimalText.parse($0) } ?? nil
    }

    @inline(__always)
    static func dollars(_ e: JSONElement?) -> Double? { decimal(e) }

    /// A price given as a fixed-point dollar string and as integer cents: the string when the
    /// message has the key — an empty string is *no* price, never the cents beside it — else the
    /// cents. Kalshi prices are 1–99 ¢, so 0 either way is no price (a market without a trade
    /// sends `"price":0,"price_dollars":""`).
    @inline(__always)
    static func price(_ fixed: JSONElement?, _ cents: JSONElement?) -> Double? {
        guard let p = present(fixed) ? dollars(fixed) : Self.cents(cents), p > 0 else { return nil }
        return p
    }

    /// A quantity given as a fixed-point string and as a number: the string when present (empty:
    /// unknown), else the number.
    @inline(__always)
    static func quantity(_ fixed: JSONElement?, _ number: JSONElement?) -> Double? { present(fixed) ? decimal(fixed) : number?.double }

    /// The key is there with a value (`null` counts as absent).
    @inline(__always)
    static func present(_ e: JSONElement?) -> Bool { e.map { !$0.isNull } ?? false }

    /// The message names this value at all (a quote side set to nothing is a withdrawal).
    @inline(__always)
    static func named(_ fixed: JSONElement?, _ cents: JSONElement?) -> Bool { present(fixed) || present(cents) }

    @inline(__always)
    static func cents(_ e: JSONElement?) -> Double? { e?.isNumber == true ? e!.double.map { $0 / 100 } : nil }
}
