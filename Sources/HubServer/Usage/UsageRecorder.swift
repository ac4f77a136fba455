import Foundation
import HubCore
import HubStore
import Logging
import WebSocketLoop

/// Moves usage counted on the loop into the store: once per `usage.flushSeconds`, before each
/// analytics query, and at shutdown. The loop only folds its counters into rows (no I/O); the
/// rows are written on the store queue into minute, hour and day buckets.
///
/// Threading: `flush` on the loop thread; writes on the store queue.
final class UsageRecorder: @unchecked Sendable {
    private let hub: Hub
    private let store: HubStore
    private let storeQueue: DispatchQueue
    private let loop: EventLoop
    private let clock: HubClock
    private let config: HubConfig.Usage
    private let logger: Logger
    /// When the interval being counted began (wall seconds): rows go to the bucket of its middle.
    private var intervalStart: Int64

    init(hub: Hub, store: HubStore, storeQueue: DispatchQueue, loop: EventLoop, clock: HubClock, config: HubConfig.Usage, logger: Logger) {
        self.hub = hub
        self.store = store
        self.storeQueue = storeQueue
        self.loop = loop
        self.clock = clock
        self.config = config
        self.logger = logger
        hub.tracksUsage = config.enabled
        intervalStart = clock.wallMilliseconds() / 1000
    }

    /// The time a roll-up's rows are booked at: the middle of the interval they were counted in.
    private func closeInterval() -> Int64 {
        let now = clock.wallMilliseconds() / 1000
        defer { intervalStart = now }
        return intervalStart + max(0, now - intervalStart) / 2
    }

    /// Rolls up what was counted; `then` runs on the loop once it is in the store.
    func flush(then: (() -> Void)? = nil) {
        let rows = UncheckedBox(hub.collectUsage())
        let at = closeInterval()
        let then = UncheckedBox(then)
        storeQueue.async { [self] in
            write(rows.value, at: at)
            loop.execute { then.value?() }
        }
    }

    /// The last roll-up, written before the hub stops (on the thread that ran the loop, once it
    /// has ended).
    func flushNow() {
        let rows = hub.collectUsage()
        let at = closeInterval()
        let box = UncheckedBox(rows)
        storeQueue.sync { write(box.value, at: at) }
    }

    private func write(_ rows: [UsageRow], at: Int64) {
        guard !rows.isEmpty else { return }
        do {
            try store.recordUsage(rows, at: at, retention: config.retention)
        } catch {
            logger.warning("usage roll-up not stored", metadata: ["rows": "\(rows.count)", "error": "\(error)"])
        }
    }
}
