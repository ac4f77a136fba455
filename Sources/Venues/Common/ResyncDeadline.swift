import HubCore

/// Turns a resynchronisation that never finishes (a resubscribe the venue ignores) into a
/// reconnect: a source stays `degraded` for at most `seconds`.
struct ResyncDeadline {
    var seconds: Double = 30
    private var since: UInt64?

    /// Called from the adapter's timer with its current state.
    mutating func check(_ state: FeedStatus.State, now: UInt64) -> FeedAction? {
        guard state == .degraded else {
            since = nil
            return nil
        }
        guard let start = since else {
            since = now
            return nil
        }
        guard Double(now &- start) / 1e9 > seconds else { return nil }
        since = nil
        return .reconnect(reason: "still resynchronising after \(Int(seconds)) s")
    }
}
