import Synchronization

/// Where the hub and the simulators read time: monotonic nanoseconds for durations and session
/// rules (heartbeats, staleness, resync deadlines, backoff), wall microseconds for timestamps
/// that leave the process and token expiry. Injected, so those rules are tested by advancing a
/// `ManualClock` instead of sleeping.
public protocol HubClock: Sendable {
    /// Nanoseconds of a clock that never goes backwards (arbitrary origin).
    func monotonicNanoseconds() -> UInt64
    /// Microseconds since the Unix epoch.
    func wallMicroseconds() -> Int64
}

extension HubClock {
    public func wallMilliseconds() -> Int64 { wallMicroseconds() / 1000 }
}

/// The operating system's clocks.
public struct SystemClock: HubClock {
    public init() {}
    @inline(__always) public func monotonicNanoseconds() -> UInt64 { MonotonicClock.nanoseconds() }
    @inline(__always) public func wallMicroseconds() -> Int64 { WallClock.microseconds() }
}

/// A clock that moves only when told (tests). Both readings advance together.
///
/// Threading: thread-safe.
public final class ManualClock: HubClock {
    private let state: Mutex<(monotonic: UInt64, wall: Int64)>

    /// Starts at the system's current wall time (so timestamps look real) and an arbitrary
    /// monotonic origin.
    public init(wallMicroseconds: Int64 = WallClock.microseconds()) {
        state = Mutex((1_000_000_000, wallMicroseconds))
    }

    public func monotonicNanoseconds() -> UInt64 { state.withLock { $0.monotonic } }
    public func wallMicroseconds() -> Int64 { state.withLock { $0.wall } }

    /// Moves both readings forward by `seconds`.
    public func advance(by seconds: Double) {
        precondition(seconds >= 0, "a clock never goes backwards")
        state.withLock {
            $0.monotonic += UInt64(seconds * 1e9)
            $0.wall += Int64(seconds * 1e6)
        }
    }
}
