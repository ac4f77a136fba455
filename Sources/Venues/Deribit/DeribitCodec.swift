import HubCore
import SimdJSON

/// Decodes Deribit JSON-RPC 2.0 frames (docs.deribit.com; recorded frames in Tests/Fixtures/captures)
/// with simdjson. A pure function of the bytes, apart from a cache of parsed instrument names.
///
/// Threading: one codec per connection, used on the loop thread.
public final class DeribitCodec {
    private let parser = JSONParser(maxDocumentBytes: 32 << 20)
    /// Instrument names as read (interned: no String made per message) and what they parse to.
    private var instruments = InternTable<DeribitInstrument?>()
    /// A ticker's members (`TickerKey` order), found in one pass; reused for every ticker.
    private var tickerMembers = JSONMembers()
    private var tickerFields: [RawField] = []
    private var bookBids: [DeribitBookUpdate.Level] = [], bookAsks: [DeribitBookUpdate.Level] = []
    private static let tickerPaths = JSONPathSet([
        "instrument_name", "timestamp", "best_bid_price", "best_ask_price", "best_bid_amount", "best_ask_amount",
        "last_price", "mark_price", "index_price", "open_interest", "settlement_price", "estimated_delivery_price",
        "current_funding", "funding_8h", "stats.volume", "stats.volume_usd", "stats.high", "stats.low",
        "stats.price_change", "state", "underlying_price", "underlying_index", "mark_iv", "bid_iv", "ask_iv",
        "interest_rate", "greeks.delta", "greeks.gamma", "greeks.vega", "greeks.theta", "greeks.rho",
    ])!

    /// The members of a ticker notification's data that are read, in `tickerPaths` order.
    private enum TickerKey: Int {
        case instrumentName, timestamp, bestBidPrice, bestAskPrice, bestBidAmount, bestAskAmount
        case lastPrice, markPrice, indexPrice, openInterest, settlementPrice, estimatedDeliveryPrice
        case currentFunding, funding8h, statsVolume, statsVolumeUsd, statsHigh, statsLow
        case statsPriceChange, state, underlyingPrice, underlyingIndex, markIv, bidIv, askIv
        case interestRate, delta, gamma, vega, theta, rho
    }

    public init() {}

    /// Decodes one frame and hands each message to `handle` (a trades frame yields several).
    public func decode(_ bytes: UnsafeRawBufferPointer, receiveTime: Int64, _ handle: (DeribitMessage) -> Void) throws {
        do {
            try parser.parse(bytes) { root in try decode(root, receiveTime, handle) }
        } catch let e as VenueDecodeError {
            throw e
        } catch {
            throw VenueDecodeError("\(error)")
        }
    }

    private func decode(_ root: JSONElement, _ receiveTime: Int64, _ handle: (DeribitMessage) -> Void) throws {
        guard root.kind == .object else { throw VenueDecodeError("frame is not a JSON object") }
        if let method = root["method"] {
            guard let params = root["params"] else {
                throw VenueDecodeError("notification without params")
            }
            if method.stringEquals("subscription") {
                try subscription(params, receiveTime, handle)
            } else if method.stringEquals("heartbeat") {
                handle(.heartbeat(testRequest: params["type"]?.stringEquals("test_request") ?? false))
            } else {
                handle(.ignored)
            }
            return
        }
        let id = root["id"]?.int64
        if let error = root["error"] {
            handle(.error(id: id, code: error["code"]?.int64 ?? 0, message: error["message"]?.string ?? "unknown error"))
            return
        }
        guard let id, let result = root["result"] else {
            throw VenueDecodeError("neither a notification nor a response")
        }
        handle(.result(id: id, Self.result(result)))
    }

    private static func result(_ r: JSONElement) -> DeribitResult {
        switch r.kind {
        case .string: return .text(r.string ?? "")
        case .array:
            var channels: [String] = []
            var infos: [DeribitInstrumentInfo] = []
            for item in r.array! {
                if let s = item.string {
                    channels.append(s)
                } else if let name = item["instrument_name"]?.string {
                    infos.append(
                        DeribitInstrumentInfo(
                            name: name, kind: item["kind"]?.string ?? "", isActive: item["is_active"]?.bool ?? true,
                            expirationTimestamp: item["expiration_timestamp"]?.int64 ?? 0, strike: item["strike"]?.double,
                            optionType: item["option_type"]?.string))
                }
            }
            if !infos.isEmpty { return .instruments(infos) }
            return .channels(channels)
        case .object:
            if let v = r["version"]?.string { return .text(v) }
            if r["access_token"] != nil { return .auth(expiresIn: r["expires_in"]?.int64 ?? 0) }
            return .other
        default: return .other
        }
    }

    private func subscription(_ params: JSONElement, _ receiveTime: Int64, _ handle: (DeribitMessage) -> Void) throws {
        guard let channelValue = params["channel"], let data = params["data"] else {
            throw VenueDecodeError("subscription without channel or data")
        }
        // Channel names: ticker.{instrument}.{interval}, book.{instrument}.{interval}, trades.{instrument}.{interval}
        let kind: Int? = channelValue.withStringBytes { b -> Int in
            if b.hasPrefix("ticker.") { return 1 }
            if b.hasPrefix("book.") { return 2 }
            if b.hasPrefix("trades.") { return 3 }
            return 0
        }
        guard let kind else { throw VenueDecodeError("channel is not a string") }
        switch kind {
        case 1: handle(.event(try ticker(data, receiveTime)))
        case 2: handle(.book(try book(data, receiveTime)))
        case 3:
            guard let trades = data.array else { throw VenueDecodeError("trades data is not an array") }
            for t in trades { handle(.event(try trade(t, receiveTime))) }
        default: handle(.ignored)
        }
    }

    /// The instrument named by a string member, interned, and what its name says.
    private func instrument(_ v: JSONElement?) -> (name: String, info: DeribitInstrument?)? {
        v?.withStringBytes(instrument(named:)) ?? nil
    }

    private func instrument(named b: UnsafeRawBufferPointer) -> (name: String, info: DeribitInstrument?)? {
        guard !b.isEmpty else { return nil }
        let (name, info) = instruments.lookup(b) { DeribitInstrument(name: $0) }
        return (name, info)
    }

    private func ticker(_ d: JSONElement, _ receiveTime: Int64) throws -> RawEvent {
        guard d.collect(Self.tickerPaths, into: &tickerMembers) else { throw VenueDecodeError("ticker data is not an object") }
        let m = tickerMembers
        guard let (name, info) = instrument(m[TickerKey.instrumentName.rawValue]) else {
            throw VenueDecodeError("ticker without instrument_name")
        }
        guard let ts = m[TickerKey.timestamp.rawValue]?.int64 else { throw VenueDecodeError("ticker without timestamp") }
        // The codec's own array, emptied: the event is handled before the next ticker decodes,
        // so its storage is free again by then (no allocation per ticker).
        var fields = tickerFields
        tickerFields = []
        fields.removeAll(keepingCapacity: true)
        fields.reserveCapacity(32)
        defer { tickerFields = fields }
        func num(_ f: DeribitField, _ k: TickerKey) {
            if let x = m[k.rawValue]?.double { fields.append(RawField(f, .number(x))) }
        }
        num(.bestBidPrice, .bestBidPrice)
        num(.bestAskPrice, .bestAskPrice)
        num(.bestBidAmount, .bestBidAmount)
        num(.bestAskAmount, .bestAskAmount)
        num(.lastPrice, .lastPrice)
        num(.markPrice, .markPrice)
        num(.indexPrice, .indexPrice)
        num(.openInterest, .openInterest)
        num(.settlementPrice, .settlementPrice)
        num(.estimatedDeliveryPrice, .estimatedDeliveryPrice)
        num(.currentFunding, .currentFunding)
        num(.funding8h, .funding8h)
        num(.statsVolume, .statsVolume)
        num(.statsVolumeUsd, .statsVolumeUsd)
        num(.statsHigh, .statsHigh)
        num(.statsLow, .statsLow)
        num(.statsPriceChange, .statsPriceChange)
        if let s = m[TickerKey.state.rawValue]?.string { fields.append(RawField(.state, .string(s))) }
        var stream = StreamKind.ticker
        if let info, info.kind == .option {
            stream = .options
            num(.underlyingPrice, .underlyingPrice)
            if let u = m[TickerKey.underlyingIndex.rawValue]?.string { fields.append(RawField(.underlyingIndex, .string(u))) }
            num(.markIv, .markIv)
            num(.bidIv, .bidIv)
            num(.askIv, .askIv)
            num(.interestRate, .interestRate)
            num(.delta, .delta)
            num(.gamma, .gamma)
            num(.vega, .vega)
            num(.theta, .theta)
            num(.rho, .rho)
            if let k = info.strike { fields.append(RawField(.strike, .number(k))) }
            if let e = info.expiry { fields.append(RawField(.expiry, .integer(e))) }
            if let t = info.optionType { fields.append(RawField(.optionType, .string(t))) }
            fields.append(RawField(.baseCurrency, .string(info.currency)))
        }
        return RawEvent(
            source: "deribit", instrument: name, stream: stream, exchangeTime: ts, receiveTime: receiveTime, fields: fields)
    }

    private func trade(_ t: JSONElement, _ receiveTime: Int64) throws -> RawEvent {
        guard let (name, _) = instrument(t["instrument_name"]) else {
            throw VenueDecodeError("trade without instrument_name")
        }
        guard let price = t["price"]?.double, let amount = t["amount"]?.double else {
            throw VenueDecodeError("trade without price or amount")
        }
        let ts = t["timestamp"]?.int64 ?? 0
        let seq = t["trade_seq"]?.uint64 ?? 0
        var fields: [RawField] = [RawField(.price, .number(price)), RawField(.amount, .number(amount))]
        fields.reserveCapacity(10)
        if let side = t["direction"]?.string { fields.append(RawField(.direction, .string(side))) }
        if let id = t["trade_id"]?.string { fields.append(RawField(.tradeId, .string(id))) }
        if seq > 0 { fields.append(RawField(.tradeSeq, .integer(Int64(seq)))) }
        if let m = t["mark_price"]?.double { fields.append(RawField(.markPrice, .number(m))) }
        if let i = t["index_price"]?.double { fields.append(RawField(.indexPrice, .number(i))) }
        if let td = t["tick_direction"]?.int64 { fields.append(RawField(.tickDirection, .integer(td))) }
        if let iv = t["iv"]?.double { fields.append(RawField(.tradeIv, .number(iv))) }
        return RawEvent(
            source: "deribit", instrument: name, stream: .trades, exchangeTime: ts, receiveTime: receiveTime, sequence: seq,
            fields: fields)
    }

    private func book(_ d: JSONElement, _ receiveTime: Int64) throws -> DeribitBookUpdate {
        guard let (name, _) = instrument(d["instrument_name"]) else {
            throw VenueDecodeError("book without instrument_name")
        }
        guard let changeID = d["change_id"]?.int64 else { throw VenueDecodeError("book without change_id") }
        let prev = d["prev_change_id"]?.int64
        // The snapshot is the notification without prev_change_id (`type` is not always sent).
        let isSnapshot = d["type"].map { $0.stringEquals("snapshot") } ?? (prev == nil)
        // The codec's own arrays, emptied: the update is applied before the next one decodes.
        var bids = bookBids, asks = bookAsks
        (bookBids, bookAsks) = ([], [])
        defer { (bookBids, bookAsks) = (bids, asks) }
        try levels(d["bids"], "bids", into: &bids)
        try levels(d["asks"], "asks", into: &asks)
        return DeribitBookUpdate(
            instrument: name, timestamp: d["timestamp"]?.int64 ?? 0, isSnapshot: isSnapshot, changeID: changeID,
            prevChangeID: prev, bids: bids, asks: asks, receiveTime: receiveTime)
    }

    /// `[["new", 5042.34, 30], ["delete", 5041.94, 0]]` (the 3-element form of book.*.{interval}).
    private func levels(_ v: JSONElement?, _ side: String, into out: inout [DeribitBookUpdate.Level]) throws {
        out.removeAll(keepingCapacity: true)
        guard let v else { return }
        guard let arr = v.array else { throw VenueDecodeError("\(side) is not an array") }
        out.reserveCapacity(arr.count)
        for entry in arr {
            guard var it = entry.array else { throw VenueDecodeError("\(side) entry is not an array") }
            guard let a = it.next(), let p = it.next()?.double, let q = it.next()?.double else {
                throw VenueDecodeError("\(side) entry is not [action, price, amount]")
            }
            let action: DeribitBookUpdate.Action
            if a.stringEquals("new") {
                action = .new
            } else if a.stringEquals("change") {
                action = .change
            } else if a.stringEquals("delete") {
                action = .delete
            } else {
                throw VenueDecodeError("\(side) entry has an unknown action")
            }
            out.append(.init(action: action, price: p, amount: action == .delete ? 0 : q))
        }
    }
}
