import Foundation
import Synchronization
import WebSocketLoop

/// A StreamHub client for Swift (docs/clients/swift.md): requests as `async` calls, batched
/// frames split, per-channel positions so nothing arrives twice, reconnects with exponential
/// backoff and jitter that resubscribe exact channels with `since` (no gap, no duplicate), and
/// the hub's `expiring` push answered with `refresh`. It runs its own libwebsockets loop.
///
/// Threading: every public method from any thread or task; the connection lives on the loop.
public final class StreamHubClient: WebSocketHandler, @unchecked Sendable {
    /// What the client tells besides publications.
    public enum Event: Sendable, Equatable {
        case open
        case closed(code: UInt16?, willReconnect: Bool)
        case reconnecting(attempt: Int, delay: Double)
        /// The answer to a resubscription with `since`.
        case recovered(channel: String, recovered: Bool)
        /// Offsets skipped (not under a filtered subscription).
        case gap(channel: String, expected: UInt64, offset: UInt64)
        case unsubscribed(channel: String, reason: String)
        case refreshed
        case refreshFailed(String)
    }

    /// Reconnect delays: `initial` doubling up to `maximum`, each ±`jitter` at random.
    public struct Backoff: Sendable {
        public var initial = 0.25
        public var maximum = 30.0
        public var jitter = 0.2
        public init(initial: Double = 0.25, maximum: Double = 30, jitter: Double = 0.2) {
            self.initial = initial
            self.maximum = maximum
            self.jitter = jitter
        }
    }

    /// Close codes after which reconnecting cannot help: the token or account is refused.
    static let finalCloseCodes: Set<UInt16> = [4001, 4003]

    public let publications: AsyncStream<Publication>
    public let events: AsyncStream<Event>
    private let publicationSink: AsyncStream<Publication>.Continuation
    private let eventSink: AsyncStream<Event>.Continuation

    private let url: WebSocketURL
    private let tokens: (@Sendable () async throws -> String)?
    private let backoff: Backoff
    private let loop: EventLoop

    // Loop thread only.
    private var connection: WebSocketConnection?
    private var outbox: [[UInt8]] = []
    private var pending: [Int64: CheckedContinuation<Reply, Error>] = [:]
    private let nextID = Mutex<Int64>(1)
    private var subscriptions: [String: SubscriptionOptions] = [:]
    private var positions: [String: (epoch: String?, offset: UInt64)] = [:]
    private var attempt = 0
    private var closing = false
    private var opened: CheckedContinuation<Void, Error>?
    private var everOpened = false

    struct SubscriptionOptions: Sendable {
        var fields: [String]?
        /// The filter as JSON (docs/protocol.md#filters).
        var filter: Data?
    }

    /// `url`: `ws://host:port/ws` (or `wss://`); `tokens`: returns a fresh access token (nil:
    /// anonymous) — asked at every connect and on the `expiring` push.
    public init(url: String, tokens: (@Sendable () async throws -> String)? = nil, backoff: Backoff = Backoff()) throws {
        self.url = try WebSocketURL(parsing: url)
        self.tokens = tokens
        self.backoff = backoff
        var c = LoopConfiguration()
        c.permessageDeflate = true
        c.maxConnections = 64
        loop = try EventLoop(configuration: c)
        (publications, publicationSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        (events, eventSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        loop.start(name: "streamhub-client")
    }

    /// Connects; throws when the first attempt fails. Later drops reconnect by themselves.
    public func start() async throws {
        let headers = try await authorization()
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Error>) in
            loop.execute { [self] in
                opened = done
                connection = loop.connect(to: url, headers: headers, handler: self)
            }
        }
    }

    /// Closes the connection for good.
    public func close() {
        loop.execute { [self] in
            closing = true
            connection?.close(code: 1000, reason: "bye")
        }
    }

    deinit {
        loop.stop()
        publicationSink.finish()
        eventSink.finish()
    }

    // MARK: Requests

    /// Subscribes; the reply's result (`channels`, and `recovered` with `since`). `filter` is a
    /// filter object (docs/protocol.md#filters) as a dictionary.
    @discardableResult
    public func subscribe(_ channel: String, fields: [String]? = nil, filter: [String: Any]? = nil) async throws -> Reply {
        let f = try filter.map { try JSONSerialization.data(withJSONObject: $0) }
        return try await subscribe(channel, options: SubscriptionOptions(fields: fields, filter: f), since: nil)
    }

    private func subscribe(_ channel: String, options: SubscriptionOptions, since: (String, UInt64)?) async throws -> Reply {
        var request: [String: Any] = ["op": "subscribe", "channel": channel]
        if let f = options.fields { request["fields"] = f }
        if let f = options.filter { request["filter"] = try JSONSerialization.jsonObject(with: f) }
        if let (epoch, offset) = since { request["since"] = ["epoch": epoch, "offset": offset] }
        let result = try await send(request)
        loop.execute { [self] in subscriptions[channel] = options }
        return result
    }

    public func unsubscribe(_ channel: String) async throws {
        _ = try await send(["op": "unsubscribe", "channel": channel])
        loop.execute { [self] in subscriptions[channel] = nil }
    }

    /// Publishes `data` into `channel` (`publish:write` and a role's publish grant).
    @discardableResult
    public func publish(_ channel: String, data: [String: Any]) async throws -> Reply {
        try await send(["op": "publish", "channel": channel, "data": data])
    }

    /// The hub's wall clock, µs.
    public func ping() async throws -> Int64 { (try await send(["op": "ping"])).object["ts"] as? Int64 ?? 0 }

    /// Sends a request and waits for its reply's `result`; an error reply throws `StreamHubError`.
    func send(_ request: [String: Any]) async throws -> Reply {
        let id = nextID.withLock { n in
            defer { n += 1 }
            return n
        }
        var message = request
        message["id"] = id
        let bytes = Array(try JSONSerialization.data(withJSONObject: message))
        return try await withCheckedThrowingContinuation { (done: CheckedContinuation<Reply, Error>) in
            loop.execute { [self] in
                guard let connection else { return done.resume(throwing: StreamHubError.notConnected) }
                pending[id] = done
                outbox.append(bytes)
                connection.requestWritable()
            }
        }
    }

    private func authorization() async throws -> [(String, String)] {
        guard let tokens else { return [] }
        return [("Authorization", "Bearer \(try await tokens())")]
    }

    // MARK: WebSocketHandler (loop thread)

    public func webSocketOpened(_ c: WebSocketConnection) {
        attempt = 0
        eventSink.yield(.open)
        if let opened {
            self.opened = nil
            opened.resume()
        }
        if everOpened { resubscribe() }
        everOpened = true
        if !outbox.isEmpty { c.requestWritable() }
    }

    public func webSocketReceived(_ c: WebSocketConnection, _ message: IncomingMessage) {
        guard case .text(let bytes) = message else { return }
        // A frame may carry several messages joined by `\n`.
        for line in bytes.split(separator: 0x0A) {
            if let m = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] { receive(m) }
        }
    }

    public func webSocketWritable(_ c: WebSocketConnection, frame: inout FrameBuffer) -> WritableResult {
        guard !outbox.isEmpty else { return .idle }
        frame.append(outbox.removeFirst())
        return .text(more: !outbox.isEmpty)
    }

    public func webSocketClosed(_ c: WebSocketConnection, error: String?) {
        guard c === connection else { return }
        connection = nil
        outbox.removeAll()
        for (_, p) in pending { p.resume(throwing: StreamHubError.notConnected) }
        pending.removeAll()
        let code = c.peerCloseCode
        if let opened {
            self.opened = nil
            opened.resume(throwing: StreamHubError.connectFailed(error ?? "closed during the handshake"))
            return
        }
        let again = !closing && !(code.map(Self.finalCloseCodes.contains) ?? false)
        eventSink.yield(.closed(code: code, willReconnect: again))
        if again { reconnect() }
    }

    // MARK: Messages

    private func receive(_ m: [String: Any]) {
        if let id = (m["id"] as? NSNumber)?.int64Value, m["result"] != nil || m["error"] != nil {
            guard let p = pending.removeValue(forKey: id) else { return }
            if let e = m["error"] as? [String: Any] {
                p.resume(throwing: StreamHubError.reply(code: e["code"] as? Int ?? 0, message: e["message"] as? String ?? ""))
            } else {
                let result = m["result"] as? [String: Any] ?? [:]
                // Epochs are noted as the reply is read, before the snapshots behind it.
                for c in result["channels"] as? [[String: Any]] ?? [] {
                    if let ch = c["ch"] as? String { noteEpoch(ch, c["epoch"] as? String) }
                }
                p.resume(returning: Reply(json: (try? JSONSerialization.data(withJSONObject: result)) ?? Data("{}".utf8)))
            }
            return
        }
        switch m["type"] as? String {
        case "channel":
            if let ch = m["ch"] as? String { noteEpoch(ch, m["epoch"] as? String) }
        case "expiring":
            refresh()
        case "unsubscribed":
            let ch = m["channel"] as? String ?? ""
            subscriptions[ch] = nil
            eventSink.yield(.unsubscribed(channel: ch, reason: m["reason"] as? String ?? ""))
        default:
            if let ch = m["ch"] as? String, let off = (m["off"] as? NSNumber)?.uint64Value { deliver(ch, off, m) }
        }
    }

    private func noteEpoch(_ channel: String, _ epoch: String?) {
        if let known = positions[channel], known.epoch == epoch { return }
        positions[channel] = (epoch, 0)  // a new epoch restarts the channel's offsets
    }

    private func deliver(_ channel: String, _ offset: UInt64, _ m: [String: Any]) {
        let known = positions[channel] ?? (nil, 0)
        guard offset > known.offset else { return }  // seen: a snapshot after a resubscribe, a recovery overlap
        if known.offset > 0 && offset > known.offset + 1 && !filtered(channel) {
            eventSink.yield(.gap(channel: channel, expected: known.offset + 1, offset: offset))
        }
        positions[channel] = (known.epoch, offset)
        let data = (m["data"] as? [String: Any]).flatMap { try? JSONSerialization.data(withJSONObject: $0) } ?? Data("{}".utf8)
        publicationSink.yield(
            Publication(
                channel: channel, offset: offset, epoch: known.epoch, snapshot: m["snap"] as? Bool ?? false,
                venueTime: (m["ts"] as? NSNumber)?.int64Value ?? 0, json: data))
    }

    private func filtered(_ channel: String) -> Bool {
        let parts = channel.split(separator: ".", maxSplits: 2)
        return subscriptions.contains { key, options in
            let pattern = key.split(separator: ".")
            return options.filter != nil && pattern.count == 3 && parts.count == 3 && zip(pattern, parts).allSatisfy { $0 == "*" || $0 == $1 }
        }
    }

    // MARK: Reconnecting

    private func reconnect() {
        attempt += 1
        let base = min(backoff.maximum, backoff.initial * pow(2, Double(attempt - 1)))
        let delay = base * (1 + Double.random(in: -backoff.jitter...backoff.jitter))
        eventSink.yield(.reconnecting(attempt: attempt, delay: delay))
        loop.schedule(after: delay) { [self] in
            Task {
                let headers = (try? await authorization()) ?? []
                loop.execute { [self] in
                    guard !closing, connection == nil else { return }
                    connection = loop.connect(to: url, headers: headers, handler: self)
                }
            }
        }
    }

    /// After a reconnect: every subscription again, exact channels from their position.
    private func resubscribe() {
        let all = subscriptions
        let at = positions
        Task {
            for (key, options) in all {
                let exact = !key.split(separator: ".").contains("*")
                let since = exact ? at[key].flatMap { p in p.epoch.map { ($0, p.offset) } }.flatMap { $0.1 > 0 ? $0 : nil } : nil
                do {
                    let result = try await subscribe(key, options: options, since: since)
                    if since != nil { eventSink.yield(.recovered(channel: key, recovered: result.object["recovered"] as? Bool ?? false)) }
                } catch {
                    loop.execute { [self] in subscriptions[key] = nil }
                    eventSink.yield(.unsubscribed(channel: key, reason: "resubscribe refused: \(error)"))
                }
            }
        }
    }

    private func refresh() {
        guard let tokens else { return }
        Task {
            do {
                _ = try await send(["op": "refresh", "token": try await tokens()])
                eventSink.yield(.refreshed)
            } catch {
                eventSink.yield(.refreshFailed("\(error)"))
            }
        }
    }
}

/// Why a request failed.
public enum StreamHubError: Error, Equatable, CustomStringConvertible {
    /// The hub's error reply (docs/protocol.md#error-codes-replies).
    case reply(code: Int, message: String)
    case notConnected
    case connectFailed(String)

    public var description: String {
        switch self {
        case .reply(let code, let message): return "\(code): \(message)"
        case .notConnected: return "not connected"
        case .connectFailed(let why): return "cannot connect: \(why)"
        }
    }

    /// The hub's error code, when it answered.
    public var code: Int? {
        if case .reply(let code, _) = self { return code }
        return nil
    }
}
