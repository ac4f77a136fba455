import HubCore

/// One symbol's local order book kept in step with Binance's diff-depth stream, following the
/// documented procedure: buffer the stream's events, fetch a REST snapshot, drop buffered
/// events with `u` ≤ `lastUpdateId`, then apply events in order as long as each one reaches
/// back to the book (`U` ≤ last `u` + 1 ≤ `u`; normally `U` is exactly last `u` + 1, but the
/// first event after a snapshot may straddle it). `U` beyond last `u` + 1 is a gap: the book is
/// dropped and rebuilt from a new snapshot (events keep buffering meanwhile). Quantities are
/// absolute, so re-applying an overlapping part is harmless.
///
/// USDⓈ-M futures (`chainsByPrevious`) number differently: ids need not follow on, each event
/// names the previous one's last id (`pu`). Buffered events with `u` < `lastUpdateId` are
/// dropped, the first applied must cover `lastUpdateId` (`U` ≤ `lastUpdateId` ≤ `u`), and each
/// next one must have `pu` = the previous `u`; anything else is a gap.
///
/// Pure: no I/O, no clock.
public struct BinanceDepthSync: Sendable {
    public enum State: Sendable, Equatable {
        /// Buffering events until a snapshot arrives.
        case awaitingSnapshot
        /// The book is consistent up to `lastUpdateId`.
        case synced
    }

    public enum Outcome: Sendable, Equatable {
        /// Held until the snapshot.
        case buffered
        /// The book changed.
        case applied
        /// Already covered by the book (old or duplicate): dropped.
        case stale
        /// Continuity broke: the book is dropped; fetch a new snapshot.
        case gap(expected: UInt64, got: UInt64)
        /// The snapshot is older than the buffered events reach back (or than the first event
        /// after it): fetch another.
        case refetch(String)
        /// The snapshot was taken and the buffer replayed onto it.
        case synchronised(replayed: Int)
    }

    public private(set) var state: State = .awaitingSnapshot
    public private(set) var book = OrderBook()
    public private(set) var lastUpdateId: UInt64 = 0
    /// No event applied since the snapshot: the next must cover `lastUpdateId` (futures) or
    /// `lastUpdateId` + 1 (spot); one that starts later means another snapshot, not a gap.
    private var awaitingFirst = false
    private var buffer: [BinanceMessage.DepthUpdate] = []
    /// The futures rule (`pu`) rather than spot's (`U` = last `u` + 1).
    public let chainsByPrevious: Bool
    /// Events held while waiting; beyond this the oldest go (a snapshot that never comes).
    public var maxBuffered = 10_000

    public init(chainsByPrevious: Bool = false) {
        self.chainsByPrevious = chainsByPrevious
    }

    public var buffered: Int { buffer.count }

    public mutating func apply(_ u: BinanceMessage.DepthUpdate) -> Outcome {
        switch state {
        case .awaitingSnapshot:
            if buffer.count >= maxBuffered { buffer.removeFirst(buffer.count - maxBuffered + 1) }
            buffer.append(u)
            return .buffered
        case .synced:
            if chainsByPrevious && !awaitingFirst {
                if u.previous == lastUpdateId {
                    change(u)
                    return .applied
                }
                if u.last <= lastUpdateId { return .stale }
                return broken(u, expected: lastUpdateId, got: u.previous ?? u.first)
            }
            // Spot, or the first futures event after a snapshot: it must reach back to the book.
            let reach = chainsByPrevious ? lastUpdateId : lastUpdateId + 1
            if u.last < reach { return .stale }
            guard u.first <= reach else {
                // Nothing applied since the snapshot: the stream never delivered what it covers
                // (it came back before the connection's first event). Not a gap — a new snapshot.
                if awaitingFirst {
                    lose()
                    buffer.append(u)
                    return .refetch("the first event after snapshot \(lastUpdateId) starts at \(u.first)")
                }
                return broken(u, expected: reach, got: u.first)
            }
            change(u)
            return .applied
        }
    }

    private mutating func broken(_ u: BinanceMessage.DepthUpdate, expected: UInt64, got: UInt64) -> Outcome {
        lose()
        buffer.append(u)
        return .gap(expected: expected, got: got)
    }

    public mutating func snapshot(_ s: BinanceDepthSnapshot) -> Outcome {
        guard state == .awaitingSnapshot else { return .stale }
        // The id the first event must cover: the snapshot's own on futures, the next one on spot.
        let reach = chainsByPrevious ? s.lastUpdateId : s.lastUpdateId + 1
        // Events the snapshot cannot reach: it is too old.
        if let first = buffer.first, reach < first.first {
            return .refetch("snapshot \(s.lastUpdateId) is older than the first buffered event (U \(first.first))")
        }
        book.clear()
        for l in s.bids { book.set(.bid, price: l.price, amount: l.amount) }
        for l in s.asks { book.set(.ask, price: l.price, amount: l.amount) }
        lastUpdateId = s.lastUpdateId
        let pending = buffer.filter { $0.last >= reach }
        buffer.removeAll()
        state = .synced
        awaitingFirst = true
        var replayed = 0
        for (i, u) in pending.enumerated() {
            // The first must straddle the reach; the rest must follow on.
            let follows = chainsByPrevious ? u.previous == lastUpdateId : u.first == lastUpdateId + 1
            let ok = i == 0 ? u.first <= reach && u.last >= reach : follows
            guard ok else {
                let (expected, got) = i > 0 && chainsByPrevious ? (lastUpdateId, u.previous ?? u.first) : (i == 0 ? reach : lastUpdateId + 1, u.first)
                lose()
                buffer = Array(pending[i...])
                return .gap(expected: expected, got: got)
            }
            change(u)
            replayed += 1
        }
        return .synchronised(replayed: replayed)
    }

    /// Forget the book (a reconnect): buffer again until the next snapshot.
    public mutating func reset() {
        lose()
    }

    private mutating func lose() {
        state = .awaitingSnapshot
        book.clear()
        buffer.removeAll()
    }

    private mutating func change(_ u: BinanceMessage.DepthUpdate) {
        awaitingFirst = false
        for l in u.bids { book.set(.bid, price: l.price, amount: l.amount) }
        for l in u.asks { book.set(.ask, price: l.price, amount: l.amount) }
        lastUpdateId = u.last
    }
}
