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

/// A clock tests move by hand. Frozen (the default) it moves only when told — for the pure
/// session rules; `running` it also follows the system clock, so simulated venues keep
/// producing, and `advance` jumps it forward — for integration tests that cross a staleness or
/// expiry threshold without sleeping through it. Both readings move together.
///
/// Threading: thread-safe.
public final class ManualClock: HubClock {
    private struct State {
        var monotonic: UInt64
        var wall: Int64
        /// System monotonic time at the last reading when running.
        var lastSystem: UInt64
    }
    private let state: Mutex<State>
    private let running: Bool

    /// Starts at the system's wall time (so timestamps look real).
    public init(running: Bool = false, wallMicroseconds: Int64 = WallClock.microseconds()) {
        self.running = running
        state = Mutex(State(monotonic: 1_000_000_000, wall: wallMicroseconds, lastSystem: MonotonicClock.nanoseconds()))
    }

    private func read<T>(_ body: (State) -> T) -> T {
        state.withLock { s in
            if running {
                let now = MonotonicClock.nanoseconds()
                let elapsed = now &- s.lastSystem
                s.lastSystem = now
                s.monotonic += elapsed
                s.wall += Int64(elapsed / 1000)
            }
            return body(s)
        }
    }

    public func monotonicNanoseconds() -> UInt64 { read { $0.monotonic } }
    public func wallMicroseconds() -> Int64 { read { $0.wall } }

    /// Moves both readings forward by `seconds`.
    public func advance(by seconds: Double) {
        precondition(seconds >= 0, "a clock never goes backwards")
        state.withLock {
            $0.monotonic += UInt64(seconds * 1e9)
            $0.wall += Int64(seconds * 1e6)
        }
    }
}
