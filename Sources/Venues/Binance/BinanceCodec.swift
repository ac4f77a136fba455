import HubCore
import SimdJSON

/// Decodes Binance spot and USDⓈ-M futures WebSocket frames and REST depth snapshots (shapes in
/// Binance's stream docs and the recorded session in Tests/Fixtures/captures) with simdjson.
/// The markets share their shapes; futures add `pu` and `T` to depth events, an event type to
/// bookTicker, and the markPriceUpdate stream.
///
/// Threading: one codec per connection, used on the loop thread.
public final class BinanceCodec {
    private let parser = JSONParser(maxDocumentBytes: 32 << 20)

    public init() {}

    public func decode(_ bytes: UnsafeRawBufferPointer) throws -> BinanceMessage {
        do {
            return try parser.parse(bytes) { root in try Self.message(root) }
        } catch let e as VenueDecodeError {
            throw e
        } catch {
            throw VenueDecodeError("\(error)")
        }
    }

    public func snapshot(_ bytes: UnsafeRawBufferPointer) throws -> BinanceDepthSnapshot {
        do {
            return try parser.parse(bytes) { root in
                guard let id = root["lastUpdateId"]?.uint64, let bids = root["bids"], let asks = root["asks"] else {
                    throw VenueDecodeError("depth snapshot without lastUpdateId, bids and asks")
                }
                return BinanceDepthSnapshot(lastUpdateId: id, bids: try Self.levels(bids), asks: try Self.levels(asks))
            }
        } catch let e as VenueDecodeError {
            throw e
        } catch {
            throw VenueDecodeError("\(error)")
        }
    }

    static func message(_ root: JSONElement) throws -> BinanceMessage {
        guard root.kind == .object else { throw VenueDecodeError("frame is not a JSON object") }
        if let data = root["data"] {
            // Combined stream: the stream name tells bookTicker apart (it has no event type).
            let isBookTicker = root["stream"]?.withStringBytes { b in b.count >= 11 && b.suffix(11).elementsEqual("@bookTicker".utf8) } ?? false
            return try event(data, bookTicker: isBookTicker)
        }
        if root["result"] != nil || root["id"] != nil && root["code"] == nil {
            return .response(id: root["id"]?.int64 ?? 0, error: nil)
        }
        if let code = root["code"] {
            return .response(id: root["id"]?.int64 ?? 0, error: "\(code.int64 ?? 0): \(root["msg"]?.string ?? "error")")
        }
        return try event(root, bookTicker: root["e"] == nil && root["u"] != nil && root["B"] != nil)
    }

    static func event(_ d: JSONElement, bookTicker: Bool) throws -> BinanceMessage {
        guard d.kind == .object else { throw VenueDecodeError("data is not an object") }
        if bookTicker {
            guard let s = d["s"]?.string, let b = decimal(d["b"]), let bq = decimal(d["B"]), let a = decimal(d["a"]), let aq = decimal(d["A"]) else {
                throw VenueDecodeError("bookTicker without s, b, B, a, A")
            }
            return .bookTicker(symbol: s, bid: b, bidQty: bq, ask: a, askQty: aq, updateId: d["u"]?.uint64 ?? 0, time: d["T"]?.int64 ?? 0)
        }
        guard let type = d["e"] else { return .ignored }
        if type.stringEquals("bookTicker") { return try event(d, bookTicker: true) }
        if type.stringEquals("depthUpdate") {
            guard let s = d["s"]?.string, let first = d["U"]?.uint64, let last = d["u"]?.uint64, let b = d["b"], let a = d["a"] else {
                throw VenueDecodeError("depthUpdate without s, U, u, b, a")
            }
            guard first <= last else { throw VenueDecodeError("depthUpdate with U \(first) > u \(last)") }
            let previous = d["pu"]
            guard previous == nil || previous?.uint64 != nil else { throw VenueDecodeError("depthUpdate with a pu that is not an id") }
            return .depth(
                .init(symbol: s, first: first, last: last, bids: try levels(b), asks: try levels(a), time: d["E"]?.int64 ?? 0, previous: previous?.uint64))
        }
        if type.stringEquals("markPriceUpdate") {
            guard let s = d["s"]?.string, let mark = decimal(d["p"]) else { throw VenueDecodeError("markPriceUpdate without s and p") }
            // Delivery contracts have no funding: an empty rate and a 0 time are no value.
            let next = d["T"]?.int64
            return .markPrice(
                .init(
                    symbol: s, mark: mark, index: decimal(d["i"]), fundingRate: decimal(d["r"]), nextFundingTime: next == 0 ? nil : next,
                    time: d["E"]?.int64 ?? 0))
        }
        if type.stringEquals("aggTrade") || type.stringEquals("trade") {
            let idKey: JSONElement? = type.stringEquals("aggTrade") ? d["a"] : d["t"]
            guard let s = d["s"]?.string, let p = decimal(d["p"]), let q = decimal(d["q"]), let m = d["m"]?.bool, let id = idKey?.uint64 else {
                throw VenueDecodeError("trade without s, p, q, m and an id")
            }
            return .trade(symbol: s, price: p, quantity: q, buyerIsMaker: m, id: id, time: d["T"]?.int64 ?? d["E"]?.int64 ?? 0)
        }
        if type.stringEquals("serverShutdown") { return .serverShutdown }
        return .ignored
    }

    /// `[["price","qty"], …]`.
    static func levels(_ e: JSONElement) throws -> [PriceLevel] {
        guard let arr = e.array else { throw VenueDecodeError("levels are not an array") }
        var out: [PriceLevel] = []
        out.reserveCapacity(arr.count)
        for level in arr {
            guard var pair = level.array, pair.count >= 2, let p = decimal(pair.next()), let q = decimal(pair.next()) else {
                throw VenueDecodeError("a level is not [price, quantity]")
            }
            out.append(PriceLevel(price: p, amount: q))
        }
        return out
    }

    /// A decimal sent as a string (or, leniently, a number).
    @inline(__always)
    static func decimal(_ e: JSONElement?) -> Double? {
        guard let e else { return nil }
        if let d = e.withStringBytes({ DecimalText.parse($0) }) { return d }
        return e.isNumber ? e.double : nil
    }
}
