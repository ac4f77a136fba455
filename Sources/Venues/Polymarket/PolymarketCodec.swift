import HubCore
import SimdJSON

/// Decodes Polymarket CLOB market-channel frames (EXAMPLES.md §2): single events, JSON arrays
/// of events (the initial dump), and the text `PONG`.
///
/// Threading: one codec per connection, used on the loop thread.
public final class PolymarketCodec {
    private let parser = JSONParser(maxDocumentBytes: 32 << 20)

    public init() {}

    public func decode(_ bytes: UnsafeRawBufferPointer) throws -> [PolymarketMessage] {
        if bytes.count == 4 && bytes.elementsEqual("PONG".utf8) { return [.pong] }
        do {
            return try parser.parse(bytes) { root in
                if let items = root.array { return try items.map(Self.event) }
                return [try Self.event(root)]
            }
        } catch let e as VenueDecodeError {
            throw e
        } catch {
            throw VenueDecodeError("\(error)")
        }
    }

    static func event(_ e: JSONElement) throws -> PolymarketMessage {
        guard e.kind == .object else { throw VenueDecodeError("event is not an object") }
        guard let type = e["event_type"] else {
            // The documented price_change example carries no event_type.
            if e["price_changes"] != nil { return try priceChanges(e) }
            throw VenueDecodeError("event without event_type")
        }
        let time = e["timestamp"]?.string.flatMap { Int64($0) } ?? 0
        if type.stringEquals("book") {
            guard let asset = e["asset_id"]?.string, let bids = e["bids"], let asks = e["asks"] else {
                throw VenueDecodeError("book without asset_id, bids, asks")
            }
            return .book(asset: asset, bids: try levels(bids), asks: try levels(asks), time: time, hash: e["hash"]?.string)
        }
        if type.stringEquals("price_change") { return try priceChanges(e) }
        if type.stringEquals("last_trade_price") {
            guard let asset = e["asset_id"]?.string, let p = decimal(e["price"]), let s = decimal(e["size"]), let side = e["side"]?.string else {
                throw VenueDecodeError("last_trade_price without asset_id, price, size, side")
            }
            return .lastTrade(asset: asset, price: p, size: s, side: side.lowercased(), time: time)
        }
        if type.stringEquals("tick_size_change") {
            guard let asset = e["asset_id"]?.string else { throw VenueDecodeError("tick_size_change without asset_id") }
            return .tickSize(asset: asset, old: decimal(e["old_tick_size"]), new: decimal(e["new_tick_size"]))
        }
        if type.stringEquals("best_bid_ask") {
            guard let asset = e["asset_id"]?.string else { throw VenueDecodeError("best_bid_ask without asset_id") }
            return .bestBidAsk(asset: asset, bid: decimal(e["best_bid"]), ask: decimal(e["best_ask"]), time: time)
        }
        if type.stringEquals("market_resolved") { return .resolved(winningAsset: e["winning_asset_id"]?.string) }
        return .ignored
    }

    static func priceChanges(_ e: JSONElement) throws -> PolymarketMessage {
        guard let changes = e["price_changes"]?.array else { throw VenueDecodeError("price_change without price_changes") }
        var out: [PolymarketMessage.PriceChange] = []
        for c in changes {
            guard let asset = c["asset_id"]?.string, let p = decimal(c["price"]), let s = decimal(c["size"]), let side = c["side"] else {
                throw VenueDecodeError("price change without asset_id, price, size, side")
            }
            let buy = side.stringEquals("BUY")
            guard buy || side.stringEquals("SELL") else { throw VenueDecodeError("price change side is not BUY or SELL") }
            out.append(
                .init(asset: asset, price: p, size: s, buy: buy, bestBid: decimal(c["best_bid"]), bestAsk: decimal(c["best_ask"]), hash: c["hash"]?.string))
        }
        return .priceChanges(out, time: e["timestamp"]?.string.flatMap { Int64($0) } ?? 0)
    }

    /// `[{"price": ".48", "size": "30"}, …]`.
    static func levels(_ e: JSONElement) throws -> [PriceLevel] {
        guard let arr = e.array else { throw VenueDecodeError("levels are not an array") }
        var out: [PriceLevel] = []
        for l in arr {
            guard let p = decimal(l["price"]), let s = decimal(l["size"]) else { throw VenueDecodeError("a level without price and size") }
            out.append(PriceLevel(price: p, amount: s))
        }
        return out
    }

    @inline(__always)
    static func decimal(_ e: JSONElement?) -> Double? {
        guard let e else { return nil }
        if let d = e.withStringBytes({ $0.isEmpty ? nil : DecimalText.parse($0) }) { return d }
        return e.isNumber ? e.double : nil
    }
}
