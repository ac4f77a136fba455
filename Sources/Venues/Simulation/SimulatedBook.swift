import HubCore

/// A simulated instrument's order book for the exchange simulators: a drifting mid, levels on
/// a tick grid, a few changes per step, never crossed (nothing is left inside the spread).
struct SimulatedBook {
    var bids: [Double: Double] = [:]
    var asks: [Double: Double] = [:]
    var mid: Double
    let tick: Double

    init(mid: Double, levels: Int, rng: inout SplitMix64) {
        self.mid = mid
        tick = mid >= 1000 ? 0.01 : mid >= 10 ? 0.001 : 0.0001
        for i in 1...levels {
            bids[Self.round(mid - Double(i) * tick * 5, tick)] = Double(1 + rng.next() % 50) / 10
            asks[Self.round(mid + Double(i) * tick * 5, tick)] = Double(1 + rng.next() % 50) / 10
        }
    }

    static func round(_ p: Double, _ tick: Double) -> Double { (p / tick).rounded() * tick }

    var bestBid: Double { Self.round(mid - tick * 2, tick) }
    var bestAsk: Double { Self.round(mid + tick * 2, tick) }

    /// Moves the mid and changes a few levels; returns the changes (quantity 0: removed).
    mutating func step(_ rng: inout SplitMix64) -> (bids: [(Double, Double)], asks: [(Double, Double)]) {
        let u = Double(rng.next() >> 11) / Double(1 << 53)
        mid = max(tick * 100, mid * (1 + (u - 0.5) * 0.0004))
        var bidChanges: [(Double, Double)] = [], askChanges: [(Double, Double)] = []
        let bb = bestBid, ba = bestAsk
        // Nothing may stand inside the new spread, so the book never crosses.
        for p in bids.keys where p > bb {
            bids[p] = nil
            bidChanges.append((p, 0))
        }
        for p in asks.keys where p < ba {
            asks[p] = nil
            askChanges.append((p, 0))
        }
        for _ in 0..<3 {
            let bp = Self.round(bb - Double(rng.next() % 10) * tick, tick)
            let ap = Self.round(ba + Double(rng.next() % 10) * tick, tick)
            let bq = rng.next() % 5 == 0 ? 0 : Double(1 + rng.next() % 80) / 10
            let aq = rng.next() % 5 == 0 ? 0 : Double(1 + rng.next() % 80) / 10
            bids[bp] = bq == 0 ? nil : bq
            asks[ap] = aq == 0 ? nil : aq
            bidChanges.append((bp, bq))
            askChanges.append((ap, aq))
        }
        return (bidChanges, askChanges)
    }

    func top(bids count: Int) -> [(Double, Double)] { Array(bids.sorted { $0.key > $1.key }.prefix(count)).map { ($0.key, $0.value) } }
    func top(asks count: Int) -> [(Double, Double)] { Array(asks.sorted { $0.key < $1.key }.prefix(count)).map { ($0.key, $0.value) } }
}
