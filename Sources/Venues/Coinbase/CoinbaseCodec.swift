import Foundation
import HubCore
import SimdJSON

/// Decodes Coinbase Advanced Trade WebSocket messages (channels `ticker`, `market_trades`,
/// `l2_data`, `heartbeats`, `subscriptions`; shapes from the Advanced Trade WebSocket docs).
///
/// Threading: one codec per connection, used on the loop thread.
public final class CoinbaseCodec {
    private let parser = JSONParser(maxDocumentBytes: 32 << 20)

    public init() {}

    public func decode(_ bytes: UnsafeRawBufferPointer) throws -> CoinbaseMessage {
        do {
            return try parser.parse(bytes) { root in try Self.message(root) }
        } catch let e as VenueDecodeError {
            throw e
        } catch {
            throw VenueDecodeError("\(error)")
        }
    }

    static func message(_ root: JSONElement) throws -> CoinbaseMessage {
        guard root.kind == .object else { throw VenueDecodeError("message is not a JSON object") }
        if root["type"]?.stringEquals("error") == true {
            return CoinbaseMessage(sequence: nil, body: .error(root["message"]?.string ?? "error"))
        }
        guard let channel = root["channel"] else { throw VenueDecodeError("message without channel") }
        let sequence = root["sequence_num"]?.uint64
        guard let events = root["events"]?.array else {
            throw VenueDecodeError("message without events")
        }
        let body: CoinbaseMessage.Body
        if channel.stringEquals("l2_data") {
            var out: [CoinbaseMessage.BookEvent] = []
            for e in events {
                guard let product = e["product_id"]?.string, let updates = e["updates"]?.array else {
                    throw VenueDecodeError("l2_data event without product_id and updates")
                }
                var list: [(Bool, Double, Double)] = []
                list.reserveCapacity(updates.count)
                for u in updates {
                    guard let side = u["side"], let p = decimal(u["price_level"]), let q = decimal(u["new_quantity"]) else {
                        throw VenueDecodeError("l2 update without side, price_level, new_quantity")
                    }
                    let bid = side.stringEquals("bid")
                    guard bid || side.stringEquals("offer") || side.stringEquals("ask") else {
                        throw VenueDecodeError("l2 update side is not bid or offer")
                    }
                    list.append((bid, p, q))
                }
                out.append(.init(product: product, snapshot: e["type"]?.stringEquals("snapshot") ?? false, updates: list))
            }
            body = .level2(out)
        } else if channel.stringEquals("ticker") || channel.stringEquals("ticker_batch") {
            var out: [CoinbaseMessage.Ticker] = []
            for e in events {
                guard let tickers = e["tickers"]?.array else { throw VenueDecodeError("ticker event without tickers") }
                for t in tickers {
                    guard let product = t["product_id"]?.string else { throw VenueDecodeError("ticker without product_id") }
                    out.append(
                        .init(
                            product: product, price: decimal(t["price"]), volume24h: decimal(t["volume_24_h"]), low24h: decimal(t["low_24_h"]),
                            high24h: decimal(t["high_24_h"]), percentChange24h: decimal(t["price_percent_chg_24_h"]), bestBid: decimal(t["best_bid"]),
                            bestBidQuantity: decimal(t["best_bid_quantity"]), bestAsk: decimal(t["best_ask"]), bestAskQuantity: decimal(t["best_ask_quantity"]))
                    )
                }
            }
            body = .ticker(out)
        } else if channel.stringEquals("market_trades") {
            var out: [CoinbaseMessage.Trade] = []
            var snapshot = false
            for e in events {
                snapshot = snapshot || (e["type"]?.stringEquals("snapshot") ?? false)
                guard let trades = e["trades"]?.array else { throw VenueDecodeError("market_trades event without trades") }
                for t in trades {
                    guard let id = t["trade_id"]?.string, let product = t["product_id"]?.string, let p = decimal(t["price"]), let q = decimal(t["size"]),
                        let side = t["side"]?.string
                    else { throw VenueDecodeError("trade without trade_id, product_id, price, size, side") }
                    out.append(.init(id: id, product: product, price: p, size: q, side: side.lowercased(), time: t["time"]?.string.flatMap(Self.millis) ?? 0))
                }
            }
            body = .trades(snapshot: snapshot, out)
        } else if channel.stringEquals("heartbeats") {
            body = .heartbeat(counter: events.map { $0["heartbeat_counter"]?.string.flatMap { UInt64($0) } ?? $0["heartbeat_counter"]?.uint64 ?? 0 }.last ?? 0)
        } else if channel.stringEquals("subscriptions") {
            var subs: [String: [String]] = [:]
            for e in events {
                guard let s = e["subscriptions"]?.object else { continue }
                for m in s { subs[m.keyString] = m.value.array.map { $0.compactMap(\.string) } ?? [] }
            }
            body = .subscriptions(subs)
        } else {
            body = .ignored
        }
        return CoinbaseMessage(sequence: sequence, body: body)
    }

    @inline(__always)
    static func decimal(_ e: JSONElement?) -> Double? {
        guard let e else { return nil }
        if let d = e.withStringBytes({ $0.isEmpty ? nil : DecimalText.parse($0) }) { return d }
        return e.isNumber ? e.double : nil
    }

    /// Made once (a formatter is costly to create); ISO8601DateFormatter is thread-safe.
    nonisolated(unsafe) static let fractional: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()
    nonisolated(unsafe) static let whole: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f
    }()

    /// RFC 3339 with up to nanoseconds (`2019-08-14T20:42:27.265Z`) → milliseconds.
    static func millis(_ s: String) -> Int64? {
        var text = s
        // Foundation reads at most millisecond fractions: cut nanoseconds to three digits.
        if let dot = text.firstIndex(of: "."), let end = text[dot...].firstIndex(where: { !$0.isNumber && $0 != "." }) {
            let digits = text[text.index(after: dot)..<end]
            if digits.count > 3 { text = String(text[...dot]) + digits.prefix(3) + text[end...] }
        }
        if let d = fractional.date(from: text) { return Int64((d.timeIntervalSince1970 * 1000).rounded()) }
        return whole.date(from: text).map { Int64($0.timeIntervalSince1970 * 1000) }
    }
}
