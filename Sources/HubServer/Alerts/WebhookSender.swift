import DequeModule
import Foundation
import HubCore
import Logging
import WebSocketLoop

/// POSTs alert transitions to the configured webhooks from the loop's own HTTP client
/// (libwebsockets, asynchronous: the loop never waits for a receiver). Each webhook gets the
/// transitions in order, one request at a time; a delivery that fails (no connection, a
/// timeout, a status other than 2xx) is retried with exponential backoff and jitter up to the
/// webhook's `maxAttempts`, then given up (counted, logged) and the next one goes. At most
/// `maxQueued` transitions wait per webhook; more are dropped and counted.
///
/// Threading: loop-confined.
final class WebhookSender {
    struct Counts: Encodable {
        var delivered: UInt64 = 0
        /// Deliveries that used up their attempts.
        var failed: UInt64 = 0
        var retries: UInt64 = 0
        var dropped: UInt64 = 0
        /// Transitions waiting (or being sent) across webhooks.
        var queued = 0
        var lastError: String?
    }

    private struct Target {
        let hook: HubConfig.Alerts.Webhook
        var queue: Deque<[UInt8]> = []
        var sending = false
    }

    private var targets: [Target]
    private let loop: EventLoop
    private let logger: Logger
    private let maxQueued = 1000
    private(set) var counts = Counts()

    init(webhooks: [HubConfig.Alerts.Webhook], loop: EventLoop, logger: Logger) {
        targets = webhooks.map { Target(hook: $0) }
        self.loop = loop
        self.logger = logger
    }

    /// The JSON body of one transition.
    static func body(_ t: AlertEngine.Transition) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return Array((try? encoder.encode(t)) ?? Data())
    }

    func send(_ t: AlertEngine.Transition) {
        guard !targets.isEmpty else { return }
        let body = Self.body(t)
        for i in targets.indices {
            guard targets[i].queue.count < maxQueued else {
                counts.dropped += 1
                continue
            }
            targets[i].queue.append(body)
            counts.queued += 1
            if !targets[i].sending { next(i) }
        }
    }

    /// Sends the head of webhook `i`'s queue, if any.
    private func next(_ i: Int) {
        guard let body = targets[i].queue.first else {
            targets[i].sending = false
            return
        }
        targets[i].sending = true
        attempt(i, body, number: 1)
    }

    private func finished(_ i: Int) {
        targets[i].queue.removeFirst()
        counts.queued -= 1
        next(i)
    }

    private func attempt(_ i: Int, _ body: [UInt8], number: Int) {
        let hook = targets[i].hook
        let headers = [("Content-Type", "application/json")] + hook.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        loop.fetch(hook.url, method: "POST", headers: headers, body: body, timeout: hook.timeoutSeconds, maxBytes: 64 << 10) { [self] result in
            let failure: String?
            switch result {
            case .success(let r) where (200..<300).contains(r.status): failure = nil
            case .success(let r): failure = "status \(r.status)"
            // The client's errors name the URL: the status shows the redacted one instead.
            case .failure(let e): failure = Self.describe(e)
            }
            guard let failure else {
                counts.delivered += 1
                return finished(i)
            }
            counts.lastError = "\(RedactedURL.text(hook.url)): \(failure)"
            guard number < hook.maxAttempts else {
                counts.failed += 1
                logger.warning("alert webhook failed", metadata: ["url": "\(RedactedURL.text(hook.url))", "attempts": "\(number)", "error": "\(failure)"])
                return finished(i)
            }
            counts.retries += 1
            _ = loop.schedule(after: Self.backoff(attempt: number)) { [self] in attempt(i, body, number: number + 1) }
        }
    }

    static func describe(_ e: LoopError) -> String {
        switch e {
        case .invalidURL: return "invalid URL"
        case .requestFailed(let why): return why.contains("no answer within") ? "no answer in time" : why.contains("://") ? "request failed" : why
        default: return "request failed"
        }
    }

    /// Seconds before attempt `attempt + 1`: 0.5 s doubling to at most 30 s, ±20 % jitter.
    static func backoff(attempt: Int) -> Double {
        let base = min(30, 0.5 * pow(2, Double(attempt - 1)))
        return base * Double.random(in: 0.8...1.2)
    }
}

/// A webhook as logs and status show it: scheme, host and port only (receivers such as Slack
/// keep their secret in the path).
enum RedactedURL {
    static func text(_ url: String) -> String {
        guard let c = URLComponents(string: url), let scheme = c.scheme, let host = c.host else { return "(invalid URL)" }
        return "\(scheme)://\(host)\(c.port.map { ":\($0)" } ?? "")"
    }
}
