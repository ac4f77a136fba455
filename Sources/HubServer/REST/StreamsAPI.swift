import HubCore
import WebSocketLoop

/// `GET /api/streams`: every upstream source with its state, rates, counters and channels.
///
/// Threading: loop-confined.
final class StreamsAPI {
    private let hub: Hub
    private let monitor: SourceMonitor

    init(hub: Hub, monitor: SourceMonitor) {
        self.hub = hub
        self.monitor = monitor
    }

    struct List: Encodable {
        let sources: [SourceMonitor.Report]
        let count: Int
    }

    func routes(_ router: HTTPRouter) {
        router.add("GET", "/api/streams", .scope("streams:read"), doc: .streams) { [unowned self] _, _, respond in
            let reports = monitor.reports(hub: hub)
            respond(.json(List(sources: reports, count: reports.count)))
        }
    }
}
