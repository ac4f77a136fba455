/// One latency series with its lifetime histogram and the recent past in slots: thirty
/// ten-second slots (the last minute and five minutes) and sixty one-minute slots (the last
/// hour). `rotate()` moves to the next ten-second slot; the owner calls it as time passes (from
/// the hub's clock), so recording itself never reads a clock.
public struct SlidingLatency: Sendable {
    public enum Window: String, CaseIterable, Sendable, Codable {
        case oneMinute = "1m"
        case fiveMinutes = "5m"
        case oneHour = "1h"
    }

    public static let slotSeconds: UInt64 = 10
    static let recentSlots = 30
    static let minuteSlots = 60
    static let slotsPerMinute = 6

    public private(set) var lifetime = LatencyHistogram()
    private var recent = [LatencyHistogram](repeating: LatencyHistogram(), count: recentSlots)
    private var minutes = [LatencyHistogram](repeating: LatencyHistogram(), count: minuteSlots)
    private var recentIndex = 0
    private var minuteIndex = 0
    /// Ten-second slots closed into the current minute slot.
    private var closedInMinute = 0

    public init() {}

    @inline(__always)
    public mutating func record(_ nanoseconds: UInt64) {
        let b = LatencyHistogram.bucket(nanoseconds)
        lifetime.add(bucket: b, nanoseconds)
        recent[recentIndex].add(bucket: b, nanoseconds)
    }

    /// Closes the current ten-second slot (into the current minute) and opens the next.
    public mutating func rotate() {
        minutes[minuteIndex].merge(recent[recentIndex])
        closedInMinute += 1
        if closedInMinute == Self.slotsPerMinute {
            closedInMinute = 0
            minuteIndex = (minuteIndex + 1) % Self.minuteSlots
            minutes[minuteIndex].reset()
        }
        recentIndex = (recentIndex + 1) % Self.recentSlots
        recent[recentIndex].reset()
    }

    /// The values of the last `window` (the current partial slot included).
    public func histogram(_ window: Window) -> LatencyHistogram {
        var out = LatencyHistogram()
        switch window {
        case .oneMinute, .fiveMinutes:
            let slots = window == .oneMinute ? Self.slotsPerMinute : Self.recentSlots
            for k in 0..<slots { out.merge(recent[(recentIndex - k + Self.recentSlots) % Self.recentSlots]) }
        case .oneHour:
            for m in minutes { out.merge(m) }
            out.merge(recent[recentIndex])
        }
        return out
    }

    public mutating func reset() { self = SlidingLatency() }
}

/// Slots to rotate as a clock advances: ten-second slots counted from a start time.
public struct SlotClock: Sendable {
    private var slot: UInt64

    public init(nowNanoseconds: UInt64) {
        slot = nowNanoseconds / (SlidingLatency.slotSeconds * 1_000_000_000)
    }

    /// How many slots have passed since the last call (at most an hour's worth: beyond that
    /// every slot is cleared anyway).
    public mutating func advance(nowNanoseconds: UInt64) -> Int {
        let now = nowNanoseconds / (SlidingLatency.slotSeconds * 1_000_000_000)
        guard now > slot else { return 0 }
        let passed = min(now - slot, UInt64(SlidingLatency.minuteSlots * SlidingLatency.slotsPerMinute + 1))
        slot = now
        return Int(passed)
    }
}
