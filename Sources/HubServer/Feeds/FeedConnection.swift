import DequeModule
import Foundation
import HubCore
import Logging
import Venues
import WebSocketLoop

/// One upstream venue connection on the loop: connects, feeds frames through the adapter into
/// the pipeline, performs the adapter's actions, and reconnects with exponential backoff and
/// jitter when the socket drops or the adapter asks (stale feed, protocol violation).
///
/// Threading: loop-confined.
final class FeedConnection: WebSocketHandler {
    let adapter: FeedAdapter
    let url: WebSocketURL
    private let pipeline: Pipeline
    private unowned let loop: EventLoop
    private let logger: Logger
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

    init(adapter: FeedAdapter, url: WebSocketURL, pipeline: Pipeline, loop: EventLoop, logger: Logger) {
        self.adapter = adapter
        self.url = url
        self.pipeline = pipeline
        self.loop = loop
        self.logger = logger
    }

    private var urlText: String { "\(url.secure ? "wss" : "ws")://\(url.host):\(url.port)\(url.path)" }

    /// What the source monitor watches.
    var monitored: SourceMonitor.Source {
        SourceMonitor.Source(
            name: adapter.source, url: urlText, status: { [unowned self] in adapter.status },
            reconnects: { [unowned self] in reconnects }, oversizedFrames: { [unowned self] in oversizedFrames })
    }

    func start() {
        connect()
        housekeeping = loop.every(1) { [weak self] in self?.tick() }
    }

    func stop() {
        stopped = true
        if connection != nil { recorder?.record(adapter.source, .close, "hub shutting down".utf8) }
        housekeeping?.cancel()
        reconnectTimer?.cancel()
        connection?.close(code: 1001, reason: "hub shutting down")
    }

    private func connect() {
        guard !stopped else { return }
        logger.info("connecting", metadata: ["source": "\(adapter.source)", "url": "\(url.host):\(url.port)\(url.path)"])
        outbox.removeAll()
        let headers: [(String, String)]
        do {
            headers = try adapter.handshakeHeaders(wallMillis: WallClock.milliseconds())
        } catch {
            adapter.disconnected(now: MonotonicClock.nanoseconds(), reason: "handshake headers: \(error)")
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
            adapter.disconnected(now: MonotonicClock.nanoseconds(), reason: reason)
            return scheduleReconnect(reason)
        }
        connection = c
    }

    private func scheduleReconnect(_ reason: String) {
        guard !stopped, reconnectTimer == nil else { return }
        // While down, the venue's last prices must not make best quotes or arbitrage.
        pipeline.enrich.sourceDown(adapter.source) { pipeline.hub.publish($0) }
        let delay = backoff.next()
        reconnects += 1
        logger.warning("reconnecting", metadata: ["source": "\(adapter.source)", "reason": "\(reason)", "delay_s": "\(String(format: "%.2f", delay))"])
        reconnectTimer = loop.schedule(after: delay) { [weak self] in
            self?.reconnectTimer = nil
            self?.connect()
        }
    }

    private func tick() {
        perform(adapter.timer(now: MonotonicClock.nanoseconds()))
        if adapter.status.state == .live { backoff.reset() }
    }

    private func perform(_ actions: [FeedAction]) {
        for action in actions {
            switch action {
            case .send(let text):
                recorder?.record(adapter.source, .sent, text.utf8)
                outbox.append(text)
                connection?.requestWritable()
            case .fetch(let url, let tag):
                loop.fetch(url, timeout: 15) { [weak self] result in
                    guard let self, !self.stopped else { return }
                    let r: FetchResult
                    switch result {
                    case .success(let response):
                        r = .response(status: response.status, body: response.body)
                        recorder?.record(adapter.source, .http, url: url, status: response.status, tag: tag, response.body)
                    case .failure(let e):
                        r = .failed("\(e)")
                        recorder?.record(adapter.source, .http, url: url, status: 0, tag: tag, "\(e)".utf8)
                    }
                    let start = MonotonicClock.nanoseconds()
                    let actions = adapter.fetched(tag: tag, r, now: start, wallMicros: WallClock.microseconds()) { pipeline.process($0) }
                    if !actions.isEmpty { perform(actions) }
                }
            case .reconnect(let reason):
                recorder?.record(adapter.source, .close, reason.utf8)
                adapter.disconnected(now: MonotonicClock.nanoseconds(), reason: reason)
                connection?.kill()
                connection = nil
                scheduleReconnect(reason)
            }
        }
    }

    // MARK: WebSocketHandler

    func webSocketOpened(_ c: WebSocketConnection) {
        guard c === connection else { return }
        connectedAt = MonotonicClock.nanoseconds()
        logger.info("connected", metadata: ["source": "\(adapter.source)"])
        perform(adapter.connected(now: connectedAt))
    }

    func webSocketReceived(_ c: WebSocketConnection, _ message: IncomingMessage) {
        guard c === connection else { return }
        switch message {
        case .text(let bytes):
            recorder?.record(adapter.source, .received, bytes)
            let start = MonotonicClock.nanoseconds()
            var downstream: UInt64 = 0
            let actions = adapter.received(bytes, now: start, wallMicros: WallClock.microseconds()) { event in
                let t = MonotonicClock.nanoseconds()
                pipeline.process(event)
                downstream &+= MonotonicClock.nanoseconds() - t
            }
            pipeline.recordIngest(nanoseconds: MonotonicClock.nanoseconds() - start - downstream)
            if !actions.isEmpty { perform(actions) }
        case .binary:
            perform([.reconnect(reason: "unexpected binary frame")])
        case .tooBig(let size):
            // The frame is lost, and with it the stream's continuity: counted, then a fresh session.
            oversizedFrames += 1
            perform([.reconnect(reason: "a frame over feeds.maxFrameBytes (\(loop.configuration.maxClientMessageBytes) bytes) was dropped after \(size) bytes")])
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
        adapter.disconnected(now: MonotonicClock.nanoseconds(), reason: reason)
        scheduleReconnect(reason)
    }
}
