import HubCore

/// One symbol's local order book kept in step with Binance's diff-depth stream, following the
/// documented procedure: buffer the stream's events, fetch a REST snapshot, drop buffered
/// events with `u` ≤ `lastUpdateId`, then apply events in order as long as each one reaches
/// back to the book (`U` ≤ last `u` + 1 ≤ `u`; normally `U` is exactly last `u` + 1, but the
/// first event after a snapshot may straddle it). `U` beyond last `u` + 1 is a gap: the book is
/// dropped and rebuilt from a new snapshot (events keep buffering meanwhile). Quantities are
/// absolute, so re-applying an overlapping part is harmless.
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
        /// The snapshot is older than the buffered events reach back: fetch another.
        case refetch(String)
        /// The snapshot was taken and the buffer replayed onto it.
        case synchronised(replayed: Int)
    }

    public private(set) var state: State = .awaitingSnapshot
    public private(set) var book = OrderBook()
    public private(set) var lastUpdateId: UInt64 = 0
    private var buffer: [BinanceMessage.DepthUpdate] = []
    /// Events held while waiting; beyond this the oldest go (a snapshot that never comes).
    public var maxBuffered = 10_000

    public init() {}

    public var buffered: Int { buffer.count }

    public mutating func apply(_ u: BinanceMessage.DepthUpdate) -> Outcome {
        switch state {
        case .awaitingSnapshot:
            if buffer.count >= maxBuffered { buffer.removeFirst(buffer.count - maxBuffered + 1) }
            buffer.append(u)
            return .buffered
        case .synced:
            if u.last <= lastUpdateId { return .stale }
            guard u.first <= lastUpdateId + 1 else {
                let expected = lastUpdateId + 1
                lose()
                buffer.append(u)
                return .gap(expected: expected, got: u.first)
            }
            change(u)
            return .applied
        }
    }

    public mutating func snapshot(_ s: BinanceDepthSnapshot) -> Outcome {
        guard state == .awaitingSnapshot else { return .stale }
        // Events the snapshot cannot reach: it is too old.
        if let first = buffer.first, s.lastUpdateId + 1 < first.first {
            return .refetch("snapshot \(s.lastUpdateId) is older than the first buffered event (U \(first.first))")
        }
        book.clear()
        for l in s.bids { book.set(.bid, price: l.price, amount: l.amount) }
        for l in s.asks { book.set(.ask, price: l.price, amount: l.amount) }
        lastUpdateId = s.lastUpdateId
        let pending = buffer.filter { $0.last > s.lastUpdateId }
        buffer.removeAll()
        state = .synced
        var replayed = 0
        for (i, u) in pending.enumerated() {
            // The first must straddle lastUpdateId + 1; the rest must follow on.
            let ok = i == 0 ? u.first <= lastUpdateId + 1 && u.last >= lastUpdateId + 1 : u.first == lastUpdateId + 1
            guard ok else {
                let expected = lastUpdateId + 1
                lose()
                buffer = Array(pending[i...])
                return .gap(expected: expected, got: u.first)
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
        for l in u.bids { book.set(.bid, price: l.price, amount: l.amount) }
        for l in u.asks { book.set(.ask, price: l.price, amount: l.amount) }
        lastUpdateId = u.last
    }
}
