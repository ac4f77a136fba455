import Synchronization

/// Latency of calls made off the loop thread (SQLite on the store queue, Redis on its writer),
/// per operation: a lock per record, which is nothing beside the call it times.
///
/// Threading: every method from any thread.
public final class CallTimings: Sendable {
    /// `store`/`operation` → its series (`sqlite`/`write`, `redis`/`pipeline`, …).
    private let series = Mutex<[CallKey: SlidingLatency]>([:])
    /// Called after each record (the hub forwards it to its Prometheus histograms).
    private let observer: Mutex<(@Sendable (CallKey, UInt64) -> Void)?> = Mutex(nil)

    public struct CallKey: Hashable, Sendable, Comparable {
        public let store: String
        public let operation: String
        public init(_ store: String, _ operation: String) {
            self.store = store
            self.operation = operation
        }
        public static func < (a: CallKey, b: CallKey) -> Bool { (a.store, a.operation) < (b.store, b.operation) }
    }

    public init() {}

    public func record(_ store: String, _ operation: String, nanoseconds: UInt64) {
        let key = CallKey(store, operation)
        series.withLock { $0[key, default: SlidingLatency()].record(nanoseconds) }
        observer.withLock { $0 }?(key, nanoseconds)
    }

    /// Times `body` as one call of `store`/`operation` (thrown errors pass through).
    public func time<T, E: Error>(_ store: String, _ operation: String, _ body: () throws(E) -> T) throws(E) -> T {
        let start = MonotonicClock.nanoseconds()
        defer { record(store, operation, nanoseconds: MonotonicClock.nanoseconds() &- start) }
        return try body()
    }

    public func observe(_ body: @escaping @Sendable (CallKey, UInt64) -> Void) {
        observer.withLock { $0 = body }
    }

    public func rotate(_ slots: Int) {
        guard slots > 0 else { return }
        series.withLock { all in
            for key in all.keys { for _ in 0..<slots { all[key]!.rotate() } }
        }
    }

    /// Every series, by key.
    public func snapshot() -> [CallKey: SlidingLatency] { series.withLock { $0 } }
}
