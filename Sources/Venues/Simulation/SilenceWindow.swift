import HubCore

/// The `silence` fault: a window, on the simulator's clock, in which a simulated venue sends
/// nothing (no data, no heartbeats) and answers nothing — a venue gone quiet.
struct SilenceWindow {
    /// Wall milliseconds at which the venue speaks again.
    private var until: Int64 = 0

    mutating func begin(seconds: Double, clock: HubClock) {
        until = clock.wallMilliseconds() + Int64(seconds * 1000)
    }

    func isOn(_ clock: HubClock) -> Bool { isOn(atMillis: clock.wallMilliseconds()) }

    func isOn(atMillis now: Int64) -> Bool { now < until }
}
