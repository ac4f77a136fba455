import HubCore

/// Builds frames exactly as Deribit sends them (key order and shapes of the official examples
/// and captured frames in Tests/Fixtures/captures), for the simulator and tests.
public enum DeribitFrames {
    /// `{"jsonrpc":"2.0","method":"subscription","params":{"channel":…,"data":…}}`
    public static func notification(channel: String, data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 96)
        JSONWriter.appendLiteral("{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":", to: &out)
        JSONWriter.appendString(channel, to: &out)
        JSONWriter.appendLiteral(",\"data\":", to: &out)
        out.append(contentsOf: data)
        JSONWriter.appendLiteral("}}", to: &out)
        return out
    }

    /// A response with the timing fields Deribit adds (`usIn`, `usOut`, `usDiff`, `testnet`).
    public static func result(id: Int64, result: [UInt8], usIn: Int64, usOut: Int64) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.appendLiteral("{\"jsonrpc\":\"2.0\",\"id\":", to: &out)
        JSONWriter.appendInt(id, to: &out)
        JSONWriter.appendLiteral(",\"result\":", to: &out)
        out.append(contentsOf: result)
        appendTiming(usIn, usOut, &out)
        return out
    }

    /// `{"jsonrpc":"2.0","id":N,"error":{"message":…,"code":C},…}` (JSON-RPC error object).
    public static func error(id: Int64?, code: Int64, message: String, usIn: Int64, usOut: Int64) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.appendLiteral("{\"jsonrpc\":\"2.0\",", to: &out)
        if let id {
            JSONWriter.appendLiteral("\"id\":", to: &out)
            JSONWriter.appendInt(id, to: &out)
            out.append(UInt8(ascii: ","))
        }
        JSONWriter.appendLiteral("\"error\":{\"message\":", to: &out)
        JSONWriter.appendString(message, to: &out)
        JSONWriter.appendLiteral(",\"code\":", to: &out)
        JSONWriter.appendInt(code, to: &out)
        out.append(UInt8(ascii: "}"))
        appendTiming(usIn, usOut, &out)
        return out
    }

    private static func appendTiming(_ usIn: Int64, _ usOut: Int64, _ out: inout [UInt8]) {
        JSONWriter.appendLiteral(",\"usIn\":", to: &out)
        JSONWriter.appendInt(usIn, to: &out)
        JSONWriter.appendLiteral(",\"usOut\":", to: &out)
        JSONWriter.appendInt(usOut, to: &out)
        JSONWriter.appendLiteral(",\"usDiff\":", to: &out)
        JSONWriter.appendInt(usOut - usIn, to: &out)
        JSONWriter.appendLiteral(",\"testnet\":false}", to: &out)
    }

    /// `{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}`
    public static func heartbeat(testRequest: Bool) -> [UInt8] {
        Array(
            (testRequest
                ? "{\"jsonrpc\":\"2.0\",\"method\":\"heartbeat\",\"params\":{\"type\":\"test_request\"}}"
                : "{\"jsonrpc\":\"2.0\",\"method\":\"heartbeat\",\"params\":{\"type\":\"heartbeat\"}}").utf8)
    }

    /// The `data` of `ticker.{instrument}.{interval}`: the perpetual layout of the official
    /// example, the option layout (greeks, IVs) of the captured frames.
    public static func tickerData(_ i: DeribitMarket.Instrument, market: DeribitMarket) -> [UInt8] {
        var o: [UInt8] = []
        o.reserveCapacity(640)
        let bid = i.book.bids.first, ask = i.book.asks.first
        let indexPrice = market.index[i.currency] ?? 0
        let change = i.open > 0 ? roundTo((i.lastPrice / i.open - 1) * 100, 0.0001) : 0
        func num(_ key: StaticString, _ v: Double, first: Bool = false) {
            if !first { o.append(UInt8(ascii: ",")) }
            o.append(UInt8(ascii: "\""))
            JSONWriter.appendLiteral(key, to: &o)
            JSONWriter.appendLiteral("\":", to: &o)
            JSONWriter.appendDouble(v, to: &o)
        }
        func str(_ key: StaticString, _ v: String) {
            o.append(UInt8(ascii: ","))
            o.append(UInt8(ascii: "\""))
            JSONWriter.appendLiteral(key, to: &o)
            JSONWriter.appendLiteral("\":", to: &o)
            JSONWriter.appendString(v, to: &o)
        }
        o.append(UInt8(ascii: "{"))
        if i.kind == .option {
            num("underlying_price", indexPrice, first: true)
            str("underlying_index", "index_price")
            num("timestamp", Double(market.now))
            JSONWriter.appendLiteral(",\"stats\":{", to: &o)
            num("volume", roundTo(i.volume, 0.1), first: true)
            num("price_change", change)
            num("low", i.low)
            num("high", i.high)
            o.append(UInt8(ascii: "}"))
            str("state", "open")
            num("settlement_price", i.open)
            num("open_interest", i.openInterest)
            num("min_price", i.tickSize)
            num("max_price", roundTo(i.mark * 3 + 0.01, i.tickSize))
            num("mark_price", roundTo(i.mark, 0.00000001))
            num("mark_iv", roundTo(i.iv, 0.01))
            num("last_price", i.lastPrice)
            num("interest_rate", 0)
            str("instrument_name", i.name)
            num("index_price", indexPrice)
            let g = i.greeks
            JSONWriter.appendLiteral(",\"greeks\":{", to: &o)
            num("vega", roundTo(g.vega, 0.00001), first: true)
            num("theta", roundTo(g.theta, 0.00001))
            num("rho", roundTo(g.rho, 0.00001))
            num("gamma", roundTo(g.gamma, 0.00001))
            num("delta", roundTo(g.delta, 0.00001))
            o.append(UInt8(ascii: "}"))
            num("estimated_delivery_price", indexPrice)
            num("bid_iv", bid == nil ? 0 : roundTo(i.iv - 2, 0.01))
            num("best_bid_price", bid?.price ?? 0)
            num("best_bid_amount", bid?.amount ?? 0)
            num("best_ask_price", ask?.price ?? 0)
            num("best_ask_amount", ask?.amount ?? 0)
            num("ask_iv", ask == nil ? 0 : roundTo(i.iv + 2, 0.01))
        } else {
            num("best_ask_amount", ask?.amount ?? 0, first: true)
            num("best_ask_price", ask?.price ?? 0)
            num("best_bid_amount", bid?.amount ?? 0)
            num("best_bid_price", bid?.price ?? 0)
            num("current_funding", i.funding)
            num("estimated_delivery_price", indexPrice)
            num("funding_8h", roundTo(i.funding * 8, 0.0000001))
            num("index_price", indexPrice)
            str("instrument_name", i.name)
            num("interest_value", roundTo(i.funding * 3.1, 0.0000001))
            num("last_price", i.lastPrice)
            num("mark_price", i.mark)
            num("max_price", roundTo(i.mark * 1.015, i.tickSize))
            num("min_price", roundTo(i.mark * 0.985, i.tickSize))
            num("open_interest", i.openInterest)
            num("settlement_price", i.open)
            str("state", "open")
            JSONWriter.appendLiteral(",\"stats\":{", to: &o)
            num("high", i.high, first: true)
            num("low", i.low)
            num("price_change", change)
            num("volume", roundTo(i.volume, 0.00000001))
            num("volume_usd", roundTo(i.volume * i.mark, 1))
            o.append(UInt8(ascii: "}"))
            num("timestamp", Double(market.now))
        }
        o.append(UInt8(ascii: "}"))
        return o
    }

    /// The `data` of `book.{instrument}.{interval}`: a snapshot (all levels as `new`, no
    /// prev_change_id) or a change.
    public static func bookData(snapshotOf i: DeribitMarket.Instrument, timestamp: Int64) -> [UInt8] {
        book(
            type: "snapshot", timestamp: timestamp, prev: nil, instrument: i.name, changeID: i.changeID,
            bids: i.book.bids.map { .init(action: .new, price: $0.price, amount: $0.amount) },
            asks: i.book.asks.map { .init(action: .new, price: $0.price, amount: $0.amount) })
    }

    public static func bookData(change c: DeribitMarket.BookChange) -> [UInt8] {
        book(type: "change", timestamp: c.timestamp, prev: c.prevChangeID, instrument: c.instrument, changeID: c.changeID, bids: c.bids, asks: c.asks)
    }

    private static func book(
        type: StaticString, timestamp: Int64, prev: Int64?, instrument: String, changeID: Int64,
        bids: [DeribitBookUpdate.Level], asks: [DeribitBookUpdate.Level]
    ) -> [UInt8] {
        var o: [UInt8] = []
        JSONWriter.appendLiteral("{\"type\":\"", to: &o)
        JSONWriter.appendLiteral(type, to: &o)
        JSONWriter.appendLiteral("\",\"timestamp\":", to: &o)
        JSONWriter.appendInt(timestamp, to: &o)
        if let prev {
            JSONWriter.appendLiteral(",\"prev_change_id\":", to: &o)
            JSONWriter.appendInt(prev, to: &o)
        }
        JSONWriter.appendLiteral(",\"instrument_name\":", to: &o)
        JSONWriter.appendString(instrument, to: &o)
        JSONWriter.appendLiteral(",\"change_id\":", to: &o)
        JSONWriter.appendInt(changeID, to: &o)
        JSONWriter.appendLiteral(",\"bids\":", to: &o)
        levels(bids, &o)
        JSONWriter.appendLiteral(",\"asks\":", to: &o)
        levels(asks, &o)
        o.append(UInt8(ascii: "}"))
        return o
    }

    private static func levels(_ ls: [DeribitBookUpdate.Level], _ o: inout [UInt8]) {
        o.append(UInt8(ascii: "["))
        for (n, l) in ls.enumerated() {
            if n > 0 { o.append(UInt8(ascii: ",")) }
            switch l.action {
            case .new: JSONWriter.appendLiteral("[\"new\",", to: &o)
            case .change: JSONWriter.appendLiteral("[\"change\",", to: &o)
            case .delete: JSONWriter.appendLiteral("[\"delete\",", to: &o)
            }
            JSONWriter.appendDouble(l.price, to: &o)
            o.append(UInt8(ascii: ","))
            JSONWriter.appendDouble(l.amount, to: &o)
            o.append(UInt8(ascii: "]"))
        }
        o.append(UInt8(ascii: "]"))
    }

    /// The `data` of `trades.{instrument}.{interval}`: an array of trades (official key order).
    public static func tradesData(_ trades: [DeribitMarket.Trade]) -> [UInt8] {
        var o: [UInt8] = [UInt8(ascii: "[")]
        for (n, t) in trades.enumerated() {
            if n > 0 { o.append(UInt8(ascii: ",")) }
            JSONWriter.appendLiteral("{\"trade_seq\":", to: &o)
            JSONWriter.appendInt(t.seq, to: &o)
            JSONWriter.appendLiteral(",\"trade_id\":", to: &o)
            JSONWriter.appendString(t.id, to: &o)
            JSONWriter.appendLiteral(",\"timestamp\":", to: &o)
            JSONWriter.appendInt(t.timestamp, to: &o)
            JSONWriter.appendLiteral(",\"tick_direction\":", to: &o)
            JSONWriter.appendInt(Int64(t.tickDirection), to: &o)
            JSONWriter.appendLiteral(",\"price\":", to: &o)
            JSONWriter.appendDouble(t.price, to: &o)
            JSONWriter.appendLiteral(",\"mark_price\":", to: &o)
            JSONWriter.appendDouble(t.markPrice, to: &o)
            if let iv = t.iv {
                JSONWriter.appendLiteral(",\"iv\":", to: &o)
                JSONWriter.appendDouble(iv, to: &o)
            }
            JSONWriter.appendLiteral(",\"instrument_name\":", to: &o)
            JSONWriter.appendString(t.instrument, to: &o)
            JSONWriter.appendLiteral(",\"index_price\":", to: &o)
            JSONWriter.appendDouble(t.indexPrice, to: &o)
            JSONWriter.appendLiteral(",\"direction\":", to: &o)
            JSONWriter.appendString(t.direction, to: &o)
            JSONWriter.appendLiteral(",\"amount\":", to: &o)
            JSONWriter.appendDouble(t.amount, to: &o)
            o.append(UInt8(ascii: "}"))
        }
        o.append(UInt8(ascii: "]"))
        return o
    }

    /// `public/get_instruments` result entries (field order of the captured response).
    public static func instrumentsResult(_ list: [DeribitMarket.Instrument]) -> [UInt8] {
        var o: [UInt8] = [UInt8(ascii: "[")]
        for (n, i) in list.enumerated() {
            if n > 0 { o.append(UInt8(ascii: ",")) }
            JSONWriter.appendLiteral("{\"tick_size\":", to: &o)
            JSONWriter.appendDouble(i.tickSize, to: &o)
            JSONWriter.appendLiteral(",\"taker_commission\":0.0003", to: &o)
            if let k = i.strike {
                JSONWriter.appendLiteral(",\"strike\":", to: &o)
                JSONWriter.appendDouble(k, to: &o)
            }
            JSONWriter.appendLiteral(",\"settlement_period\":", to: &o)
            JSONWriter.appendString(i.kind == .option ? "week" : "perpetual", to: &o)
            JSONWriter.appendLiteral(",\"quote_currency\":", to: &o)
            JSONWriter.appendString(i.kind == .option ? i.currency : "USD", to: &o)
            if i.kind == .option {
                JSONWriter.appendLiteral(",\"option_type\":", to: &o)
                JSONWriter.appendString(i.isCall ? "call" : "put", to: &o)
            }
            JSONWriter.appendLiteral(",\"min_trade_amount\":", to: &o)
            JSONWriter.appendDouble(i.kind == .option ? 0.1 : 10, to: &o)
            JSONWriter.appendLiteral(",\"maker_commission\":0.0003,\"kind\":", to: &o)
            JSONWriter.appendString(i.kind == .option ? "option" : "future", to: &o)
            JSONWriter.appendLiteral(",\"is_active\":true,\"instrument_name\":", to: &o)
            JSONWriter.appendString(i.name, to: &o)
            JSONWriter.appendLiteral(",\"expiration_timestamp\":", to: &o)
            JSONWriter.appendInt(i.expiry ?? 32_503_680_000_000, to: &o)
            JSONWriter.appendLiteral(",\"creation_timestamp\":", to: &o)
            JSONWriter.appendInt(i.created, to: &o)
            JSONWriter.appendLiteral(",\"contract_size\":", to: &o)
            JSONWriter.appendDouble(i.kind == .option ? 1 : 10, to: &o)
            JSONWriter.appendLiteral(",\"block_trade_commission\":0.00015,\"base_currency\":", to: &o)
            JSONWriter.appendString(i.currency, to: &o)
            o.append(UInt8(ascii: "}"))
        }
        o.append(UInt8(ascii: "]"))
        return o
    }
}
