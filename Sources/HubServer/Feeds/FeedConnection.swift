import DequeModule
import Foundation
import HubCore
import Logging
import WebSocketLoop

/// One upstream venue connection on the loop: connects, feeds frames through the adapter into
/// the pipeline, performs the adapter's actions, and reconnects with exponential backoff and
/// jitter when the socket drops or the adapter asks (stale feed, protocol violation). Session
/// rules read time from the injected clock; stage latency is measured in real time.
///
/// Threading: loop-confined.
final class FeedConnection: WebSocketHandler {
    let adapter: FeedAdapter
    let url: WebSocketURL
    private let pipeline: Pipeline
    private unowned let loop: EventLoop
    private let clock: HubClock
    private let logger: Logger
    /// JSON fields blanked in recordings (the venue's credentials).
    private let secretFields: [String]
    /// Called after every event the adapter saw (frame, answer, timer, disconnect).
    var onEvent: (() -> Void)?
    private var connection: WebSocketConnection?
    private var outbox: Deque<String> = []
    private var backoff = Backoff()
    private var housekeeping: LoopTimer?
    private var reconnectTimer: LoopTimer?
    private var stopped = false
    private(set) var reconnects: UInt64 = 0
    private(set) var oversizedFrames: UInt64 = 0
    private var connecting = false
    private var failedWhileConnecting: String?
    /// When set, everything exchanged with the venue is written to a recording.
    var recorder: FeedRecorder?
    private(set) var connectedAt: UInt64 = 0

    init(adapter: FeedAdapter, url: WebSocketURL, secretFields: [String] = [], pipeline: Pipeline, loop: EventLoop, clock: HubClock, logger: Logger) {
        self.adapter = adapter
        self.url = url
        self.secretFields = secretFields
        self.pipeline = pipeline
        self.loop = loop
        self.clock = clock
        self.logger = logger
    }

    private var urlText: String { "\(url.secure ? "wss" : "ws")://\(url.host):\(url.port)\(url.path)" }

    /// What the source monitor watches.
    var monitored: SourceMonitor.Source {
        SourceMonitor.Source(
            name: adapter.source, url: urlText, status: { [unowned self] in adapter.status },
            reconnects: { [unowned self] in reconnects }, oversizedFrames: { [unowned self] in oversizedFrames })
    }

    /// Connects (again, after `stop`: a cluster node that regained the feed's lease).
    func start() {
        stopped = false
        reconnectTimer?.cancel()
        reconnectTimer = nil
        backoff.reset()
        connect()
        housekeeping?.cancel()
        housekeeping = loop.every(1) { [weak self] in self?.tick() }
    }

    /// Records a frame exchanged with the venue, its credentials blanked.
    private func record(_ kind: RecordedLine.Kind, _ frame: UnsafeRawBufferPointer) {
        guard let recorder else { return }
        recorder.record(adapter.source, kind, JSONRedaction.redact(frame, fields: secretFields))
    }

    func stop(reason: String = "hub shutting down") {
        stopped = true
        if connection != nil { recorder?.record(adapter.source, .close, reason.utf8) }
        housekeeping?.cancel()
        reconnectTimer?.cancel()
        reconnectTimer = nil
        guard let c = connection else { return }
        // Done with now: its close callback is not waited for (a restart may come first).
        connection = nil
        c.close(code: 1001, reason: reason)
        adapter.disconnected(now: clock.monotonicNanoseconds(), reason: reason)
    }

    private func connect() {
        guard !stopped else { return }
        logger.info("connecting", metadata: ["source": "\(adapter.source)", "url": "\(url.host):\(url.port)\(url.path)"])
        outbox.removeAll()
        let headers: [(String, String)]
        do {
            headers = try adapter.handshakeHeaders(wallMillis: clock.wallMilliseconds())
        } catch {
            adapter.disconnected(now: clock.monotonicNanoseconds(), reason: "handshake headers: \(error)")
            return scheduleReconnect("handshake headers: \(error)")
        }
        recorder?.record(adapter.source, .open, url: urlText)
        // libwebsockets may fail the attempt inside the call (a name that does not resolve):
        // the closed callback then arrives before `connection` is set.
        connecting = true
        failedWhileConnecting = nil
        let c = loop.connect(to: url, headers: headers, handler: self)
        connecting = false
        if let reason = failedWhileConnecting {
            recorder?.record(adapter.source, .close, reason.utf8)
            adapter.disconnected(now: clock.monotonicNanoseconds(), reason: reason)
            return scheduleReconnect(reason)
        }
        connection = c
    }

    private func scheduleReconnect(_ reason: String) {
        guard !stopped, reconnectTimer == nil else { return }
        // While down, the venue's last prices must not make best quotes or arbitrage.
        pipeline.sourceDown(adapter.source, nowMillis: clock.wallMilliseconds())
        let delay = backoff.next()
        reconnects += 1
        logger.warning("reconnecting", metadata: ["source": "\(adapter.source)", "reason": "\(reason)", "delay_s": "\(String(format: "%.2f", delay))"])
        reconnectTimer = loop.schedule(after: delay) { [weak self] in
            self?.reconnectTimer = nil
            self?.connect()
        }
    }

    /// The adapter's periodic checks (heartbeats, staleness, deadlines) at the clock's time.
    func tick() {
        perform(adapter.timer(now: clock.monotonicNanoseconds()))
        if adapter.status.state == .live { backoff.reset() }
        onEvent?()
    }

    private func perform(_ actions: [FeedAction]) {
        for action in actions {
            switch action {
            case .send(let text):
                if recorder != nil {
                    var bytes = Array(text.utf8)
                    bytes.withUnsafeMutableBytes { record(.sent, UnsafeRawBufferPointer($0)) }
                }
                outbox.append(text)
                connection?.requestWritable()
            case .fetch(let url, let tag):
                loop.fetch(url, timeout: 15) { [weak self] result in
                    guard let self, !self.stopped else { return }
                    let r: FetchResult
                    switch result {
                    case .success(let response):
                        r = .response(status: response.status, body: response.body)
                        if let recorder {
                            let body = response.body.withUnsafeBytes { JSONRedaction.redact($0, fields: secretFields) }
                            recorder.record(adapter.source, .http, url: url, status: response.status, tag: tag, body)
                        }
                    case .failure(let e):
                        r = .failed("\(e)")
                        recorder?.record(adapter.source, .http, url: url, status: 0, tag: tag, "\(e)".utf8)
                    }
                    let actions = adapter.fetched(tag: tag, r, now: clock.monotonicNanoseconds(), wallMicros: clock.wallMicroseconds()) { pipeline.process($0) }
                    if !actions.isEmpty { perform(actions) }
                    onEvent?()
                }
            case .reconnect(let reason):
                recorder?.record(adapter.source, .close, reason.utf8)
                adapter.disconnected(now: clock.monotonicNanoseconds(), reason: reason)
                connection?.kill()
                connection = nil
                scheduleReconnect(reason)
            }
        }
    }

    // MARK: WebSocketHandler

    func webSocketOpened(_ c: WebSocketConnection) {
        guard c === connection else { return }
        connectedAt = clock.monotonicNanoseconds()
        logger.info("connected", metadata: ["source": "\(adapter.source)"])
        perform(adapter.connected(now: connectedAt))
        onEvent?()
    }

    func webSocketReceived(_ c: WebSocketConnection, _ message: IncomingMessage) {
        guard c === connection else { return }
        switch message {
        case .text(let bytes):
            record(.received, bytes)
            let start = MonotonicClock.nanoseconds()
            var downstream: UInt64 = 0
            let actions = adapter.received(bytes, now: clock.monotonicNanoseconds(), wallMicros: clock.wallMicroseconds()) { event in
                let t = MonotonicClock.nanoseconds()
                pipeline.process(event)
                downstream &+= MonotonicClock.nanoseconds() - t
            }
            pipeline.recordIngest(nanoseconds: MonotonicClock.nanoseconds() - start - downstream)
            if !actions.isEmpty { perform(actions) }
            onEvent?()
        case .binary:
            perform([.reconnect(reason: "unexpected binary frame")])
        case .tooBig(let size):
            // The frame is lost, and with it the stream's continuity: counted, then a fresh session.
            oversizedFrames += 1
            perform([.reconnect(reason: "a frame over feeds.maxFrameBytes (\(loop.configuration.maxClientMessageBytes) bytes) was dropped after \(size) bytes")]
            )
        }
    }

    func webSocketWritable(_ c: WebSocketConnection, frame: inout FrameBuffer) -> WritableResult {
        guard c === connection, let next = outbox.popFirst() else { return .idle }
        frame.append(string: next)
        return .text(more: !outbox.isEmpty)
    }

    func webSocketClosed(_ c: WebSocketConnection, error: String?) {
        if connecting {
            failedWhileConnecting = error ?? "connection failed"
            return
        }
        guard c === connection else { return }
        connection = nil
        let reason = error ?? "closed by venue\(c.peerCloseCode.map { " (\($0))" } ?? "")"
        if !stopped { recorder?.record(adapter.source, .close, reason.utf8) }
        adapter.disconnected(now: clock.monotonicNanoseconds(), reason: reason)
        scheduleReconnect(reason)
        onEvent?()
    }
}
