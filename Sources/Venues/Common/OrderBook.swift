import HubCore

/// One instrument's order book: price levels per side, best first. Updates are absolute
/// (an amount of 0 removes the level), which is how every seed venue sends them.
public struct OrderBook: Sendable, Equatable {
    /// Descending by price.
    public private(set) var bids: [PriceLevel] = []
    /// Ascending by price.
    public private(set) var asks: [PriceLevel] = []

    public init() {}

    public enum Side: Sendable { case bid, ask }

    public mutating func set(_ side: Side, price: Double, amount: Double) {
        switch side {
        case .bid: Self.set(&bids, price: price, amount: amount, descending: true)
        case .ask: Self.set(&asks, price: price, amount: amount, descending: false)
        }
    }

    public mutating func clear() {
        bids.removeAll(keepingCapacity: true)
        asks.removeAll(keepingCapacity: true)
    }

    public func top(_ side: Side, _ depth: Int) -> [PriceLevel] {
        let levels = side == .bid ? bids : asks
        return Array(levels.prefix(depth))
    }

    /// Makes `published` the best `depth` levels of `side`, replacing the array only when they
    /// changed (so unchanged levels cost no allocation and compare equal by identity downstream).
    public func updateTop(_ side: Side, _ depth: Int, _ published: inout [PriceLevel]) {
        let levels = (side == .bid ? bids : asks).prefix(depth)
        guard !levels.elementsEqual(published) else { return }
        // A copy in storage of its own: `Array(levels)` may share the side's buffer, which the
        // next update would then have to copy.
        published = [PriceLevel](unsafeUninitializedCapacity: levels.count) { buffer, count in
            count = buffer.initialize(from: levels).1
        }
    }

    /// Best bid ≥ best ask: the book cannot be right (missed update, venue glitch).
    public var isCrossed: Bool {
        guard let b = bids.first, let a = asks.first else { return false }
        return b.price >= a.price
    }

    private static func set(_ levels: inout [PriceLevel], price: Double, amount: Double, descending: Bool) {
        // Binary search for the price's position in the sorted side.
        var lo = 0, hi = levels.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let p = levels[mid].price
            if p == price {
                lo = mid
                hi = mid
                break
            }
            if descending ? p > price : p < price { lo = mid + 1 } else { hi = mid }
        }
        if lo < levels.count && levels[lo].price == price {
            if amount == 0 { levels.remove(at: lo) } else { levels[lo].amount = amount }
        } else if amount != 0 {
            levels.insert(PriceLevel(price: price, amount: amount), at: lo)
        }
    }
}
