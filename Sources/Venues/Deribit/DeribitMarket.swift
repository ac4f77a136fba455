import HubCore

/// A simulated Deribit market: perpetuals on a random walk with a full order book, trades, and a
/// few options priced with Black–Scholes (greeks, mark/bid/ask IV). Deterministic for a seed.
/// `DeribitFrames` turns its state into frames shaped exactly like Deribit's.
///
/// Threading: owned by the simulator's loop thread.
public final class DeribitMarket {
    public final class Instrument {
        public let name: String
        public let kind: DeribitInstrument.Kind
        public let currency: String
        public let tickSize: Double
        public let strike: Double?
        public let expiry: Int64?
        public let isCall: Bool
        public let created: Int64
        public internal(set) var mid: Double
        public internal(set) var mark: Double
        public internal(set) var iv: Double = 0
        public internal(set) var greeks = BlackScholes(call: true, spot: 1, strike: 1, years: 1, volatility: 1)
        public internal(set) var book = OrderBook()
        public internal(set) var changeID: Int64
        public internal(set) var tradeSeq: Int64
        public internal(set) var lastPrice: Double
        public internal(set) var open: Double
        public internal(set) var high: Double
        public internal(set) var low: Double
        public internal(set) var volume: Double = 0
        public internal(set) var openInterest: Double
        public internal(set) var funding: Double = 0

        init(
            name: String, kind: DeribitInstrument.Kind, currency: String, tick: Double, strike: Double?, expiry: Int64?,
            isCall: Bool, price: Double, changeID: Int64, created: Int64, openInterest: Double
        ) {
            self.name = name
            self.kind = kind
            self.currency = currency
            tickSize = tick
            self.strike = strike
            self.expiry = expiry
            self.isCall = isCall
            self.created = created
            mid = price
            mark = price
            self.changeID = changeID
            tradeSeq = changeID / 7
            lastPrice = price
            open = price
            high = price
            low = price
            self.openInterest = openInterest
        }
    }

    /// One book notification's content.
    public struct BookChange: Sendable {
        public let instrument: String
        public let timestamp: Int64
        public let prevChangeID: Int64
        public let changeID: Int64
        public let bids: [DeribitBookUpdate.Level]
        public let asks: [DeribitBookUpdate.Level]
    }

    public struct Trade: Sendable {
        public let instrument: String
        public let seq: Int64
        public let id: String
        public let timestamp: Int64
        public let tickDirection: Int
        public let price: Double
        public let markPrice: Double
        public let indexPrice: Double
        public let direction: String
        public let amount: Double
        public let iv: Double?
    }

    /// What one step changed.
    public struct Step: Sendable {
        public var books: [BookChange] = []
        public var trades: [String: [Trade]] = [:]
        public var tickers: [String] = []
    }

    public private(set) var instruments: [String: Instrument] = [:]
    public private(set) var names: [String] = []
    public private(set) var index: [String: Double] = [:]
    public private(set) var now: Int64
    private var rng: SplitMix64
    private var lastStep: Int64
    private let bookLevels: Int
    private var tradeCounter: Int64 = 0

    /// - Parameters:
    ///   - start: the market clock in ms since the epoch (options expire relative to it).
    ///   - tradeProbability: chance per instrument and step that trades print.
    public init(seed: UInt64 = 42, start: Int64, bookLevels: Int = 20) {
        rng = SplitMix64(seed: seed)
        now = start
        lastStep = start
        self.bookLevels = bookLevels
        index = ["BTC": 65_000, "ETH": 3_500]
        addPerpetual("BTC", price: 65_000, tick: 0.5)
        addPerpetual("ETH", price: 3_500, tick: 0.05)
        let expiry = Self.nextFridayExpiry(after: start)
        for k in [-1000.0, 0, 1000] { addOption("BTC", strike: 65_000 + k, expiry: expiry) }
        for k in [-100.0, 100] { addOption("ETH", strike: 3_500 + k, expiry: expiry) }
        for n in names { rebuildBook(instruments[n]!, initial: true) }
    }

    /// The first Friday 08:00 UTC at least two days after `t`.
    public static func nextFridayExpiry(after t: Int64) -> Int64 {
        var day = Int(t / 86_400_000) + 2
        while (day + 4) % 7 != 5 { day += 1 }  // 1970-01-01 was a Thursday (weekday 4)
        return Int64(day) * 86_400_000 + 8 * 3_600_000
    }

    private func addPerpetual(_ currency: String, price: Double, tick: Double) {
        let name = "\(currency)-PERPETUAL"
        instruments[name] = Instrument(
            name: name, kind: .perpetual, currency: currency, tick: tick, strike: nil, expiry: nil, isCall: false, price: price,
            changeID: Int64.random(in: 10_000_000...90_000_000, using: &rng), created: now - 86_400_000 * 900,
            openInterest: price * 7_000)
        names.append(name)
    }

    private func addOption(_ currency: String, strike: Double, expiry: Int64) {
        let days = CivilDate.civil(days: Int(expiry / 86_400_000))
        let code = DeribitInstrument.expiryCode(year: days.year, month: days.month, day: days.day)
        for call in [true, false] {
            let name = "\(currency)-\(code)-\(Int(strike))-\(call ? "C" : "P")"
            let inst = Instrument(
                name: name, kind: .option, currency: currency, tick: 0.0005, strike: strike, expiry: expiry, isCall: call,
                price: 0.01, changeID: Int64.random(in: 1_000_000...9_000_000, using: &rng), created: now - 86_400_000 * 20,
                openInterest: Double(Int.random(in: 50...2_000, using: &rng)))
            instruments[name] = inst
            names.append(name)
            priceOption(inst)
            inst.lastPrice = inst.mark
            inst.open = inst.mark
            inst.high = inst.mark
            inst.low = inst.mark
        }
    }

    private func priceOption(_ o: Instrument) {
        guard let k = o.strike, let expiry = o.expiry, let s = index[o.currency] else { return }
        let years = Double(max(expiry - now, 60_000)) / (365.0 * 86_400_000)
        let m = _log(k / s)
        let vol = 0.55 + 0.8 * m * m  // a smile: wings richer than the money
        let bs = BlackScholes(call: o.isCall, spot: s, strike: k, years: years, volatility: vol)
        o.iv = vol * 100
        o.greeks = bs
        o.mark = max(0.0001, bs.price / s)  // Deribit quotes options in the underlying currency
        o.mid = o.mark
    }

    /// Advances the market to `time` (ms) and says what changed.
    public func step(to time: Int64) -> Step {
        let dt = Double(max(1, time - lastStep)) / 1000
        lastStep = time
        now = time
        var out = Step()
        for currency in ["BTC", "ETH"] {
            let perp = instruments["\(currency)-PERPETUAL"]!
            let sigma = 0.6 * (dt / (365 * 86_400)).squareRoot()
            perp.mid = max(perp.tickSize * 10, perp.mid * _exp(sigma * rng.gaussian()))
            perp.mark = roundTo(perp.mid, 0.01)
            index[currency] = roundTo(perp.mid * (1 + 0.0001 * rng.gaussian()), 0.01)
            perp.funding = roundTo(0.00002 * rng.gaussian(), 0.0000001)
        }
        for name in names {
            let inst = instruments[name]!
            if inst.kind == .option { priceOption(inst) }
            out.books.append(rebuildBook(inst, initial: false))
            out.tickers.append(name)
            let p = inst.kind == .option ? 0.05 : 0.4
            if Double.random(in: 0..<1, using: &rng) < p {
                out.trades[name] = trades(inst)
            }
        }
        return out
    }

    /// Moves the book towards the current mid and returns the level changes (as Deribit sends them).
    @discardableResult
    private func rebuildBook(_ inst: Instrument, initial: Bool) -> BookChange {
        let tick = inst.tickSize
        let halfSpread = inst.kind == .option ? tick * Double(Int.random(in: 1...3, using: &rng)) : tick / 2
        let bestBid = roundTo(inst.mid - halfSpread, tick)
        let bestAsk = max(bestBid + tick, roundTo(inst.mid + halfSpread, tick))
        let depth = inst.kind == .option ? 5 : bookLevels
        var bids: [DeribitBookUpdate.Level] = [], asks: [DeribitBookUpdate.Level] = []
        func target(_ side: OrderBook.Side, _ best: Double, _ out: inout [DeribitBookUpdate.Level]) {
            var want: [Double: Double] = [:]
            for i in 0..<depth {
                let price = roundTo(side == .bid ? best - Double(i) * tick : best + Double(i) * tick, tick)
                guard price > 0 else { continue }
                want[price] = amount(inst)
            }
            let current = side == .bid ? inst.book.bids : inst.book.asks
            for level in current where want[level.price] == nil {
                out.append(.init(action: .delete, price: level.price, amount: 0))
                inst.book.set(side, price: level.price, amount: 0)
            }
            for (price, a) in want.sorted(by: { side == .bid ? $0.key > $1.key : $0.key < $1.key }) {
                if let existing = current.first(where: { $0.price == price }) {
                    // Most resting levels keep their size between notifications.
                    guard Double.random(in: 0..<1, using: &rng) < 0.2 else { continue }
                    if existing.amount == a { continue }
                    out.append(.init(action: .change, price: price, amount: a))
                } else {
                    out.append(.init(action: .new, price: price, amount: a))
                }
                inst.book.set(side, price: price, amount: a)
            }
        }
        target(.bid, bestBid, &bids)
        target(.ask, bestAsk, &asks)
        let prev = inst.changeID
        inst.changeID += Int64.random(in: 1...250, using: &rng)  // change_ids are not contiguous
        return BookChange(instrument: inst.name, timestamp: now, prevChangeID: prev, changeID: inst.changeID, bids: bids, asks: asks)
    }

    private func amount(_ inst: Instrument) -> Double {
        inst.kind == .option
            ? roundTo(Double.random(in: 0.1...50, using: &rng), 0.1)
            : Double(Int.random(in: 1...500, using: &rng) * 10)
    }

    private func trades(_ inst: Instrument) -> [Trade] {
        let n = Int.random(in: 1...3, using: &rng)
        var out: [Trade] = []
        for _ in 0..<n {
            let buy = Bool.random(using: &rng)
            guard let level = buy ? inst.book.asks.first : inst.book.bids.first else { break }
            let qty = inst.kind == .option ? roundTo(Double.random(in: 0.1...5, using: &rng), 0.1) : Double(Int.random(in: 1...100, using: &rng) * 10)
            let tickDirection = level.price > inst.lastPrice ? 0 : level.price < inst.lastPrice ? 2 : (buy ? 1 : 3)
            inst.tradeSeq += 1
            tradeCounter += 1
            inst.lastPrice = level.price
            inst.high = max(inst.high, level.price)
            inst.low = min(inst.low, level.price)
            inst.volume += inst.kind == .option ? qty : qty / level.price
            out.append(
                Trade(
                    instrument: inst.name, seq: inst.tradeSeq, id: "\((inst.currency == "BTC" ? 100_000_000 : 200_000_000) + tradeCounter)",
                    timestamp: now, tickDirection: tickDirection, price: level.price, markPrice: inst.mark,
                    indexPrice: index[inst.currency] ?? 0, direction: buy ? "buy" : "sell", amount: qty,
                    iv: inst.kind == .option ? roundTo(inst.iv, 0.01) : nil))
        }
        return out
    }
}
