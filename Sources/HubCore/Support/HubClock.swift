import Foundation
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
    /// The wall time as a `Date` (token and key expiry, stored timestamps).
    public func wallDate() -> Date { Date(timeIntervalSince1970: Double(wallMicroseconds()) / 1e6) }
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
        /// Nanoseconds moved by hand.
        var jumped: UInt64 = 0
        /// The system's monotonic time at the last reading (running clocks only).
        var lastSystem: UInt64
        /// Nanoseconds followed from the system (running clocks only).
        var followed: UInt64 = 0
    }
    private let state: Mutex<State>
    private let running: Bool
    private let wallOrigin: Int64
    private static let monotonicOrigin: UInt64 = 1_000_000_000

    /// Starts at the system's wall time (so timestamps look real).
    public init(running: Bool = false, wallMicroseconds: Int64 = WallClock.microseconds()) {
        self.running = running
        wallOrigin = wallMicroseconds
        state = Mutex(State(lastSystem: MonotonicClock.nanoseconds()))
    }

    /// Nanoseconds since the clock was made; both readings derive from it, so they never drift.
    private func elapsed() -> UInt64 {
        state.withLock { s in
            if running {
                let now = MonotonicClock.nanoseconds()
                s.followed += now &- s.lastSystem
                s.lastSystem = now
            }
            return s.jumped + s.followed
        }
    }

    public func monotonicNanoseconds() -> UInt64 { Self.monotonicOrigin + elapsed() }
    public func wallMicroseconds() -> Int64 { wallOrigin + Int64(elapsed() / 1000) }

    /// Moves both readings forward by `seconds`.
    public func advance(by seconds: Double) {
        precondition(seconds >= 0, "a clock never goes backwards")
        state.withLock { $0.jumped += UInt64(seconds * 1e9) }
    }
}
