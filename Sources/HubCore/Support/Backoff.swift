/// Reconnect delays: exponential with full jitter (AWS architecture blog "Exponential Backoff
/// and Jitter"), so many feeds that dropped together do not reconnect together.
public struct Backoff: Sendable {
    public var base: Double
    public var cap: Double
    public private(set) var attempt = 0

    public init(base: Double = 0.5, cap: Double = 30) {
        self.base = base
        self.cap = cap
    }

    /// The next delay in seconds: uniform in [0, min(cap, base × 2^attempt)], at least 50 ms.
    public mutating func next(random: (ClosedRange<Double>) -> Double = { Double.random(in: $0) }) -> Double {
        let ceiling = min(cap, base * Double(1 << min(attempt, 30)))
        attempt += 1
        return max(0.05, random(0...ceiling))
    }

    /// A connection that became healthy starts over.
    public mutating func reset() { attempt = 0 }
}
