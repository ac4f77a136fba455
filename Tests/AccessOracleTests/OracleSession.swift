import Foundation
import HubTesting
import Testing

/// One user's WebSocket session in an oracle case: it subscribes, keeps every message the hub
/// sends, and checks each against the model.
final class OracleSession {
    private let hub: TestHub
    private let client: TestClient
    private let model: AccessModel
    private let context: String
    /// Accepted subscriptions in order: a channel takes the view of the first that matches it.
    private var accepted: [(pattern: String, fields: Set<String>?)] = []
    /// Messages other than replies, in arrival order.
    private var log: [[String: Any]] = []
    private var checked = 0

    init(hub: TestHub, token: String, model: AccessModel, context: String) throws {
        self.hub = hub
        self.model = model
        self.context = context
        client = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws", headers: [("Authorization", "Bearer \(token)")])
    }

    func close() { client.close() }

    /// The reply to request `id`; what came before it goes to the log.
    private func reply(_ id: Int) throws -> [String: Any] {
        while true {
            let m = try client.nextJSON(timeout: 5)
            if m["id"] as? Int == id { return m }
            log.append(m)
        }
    }

    private func send(_ object: [String: Any]) throws {
        client.send(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
    }

    /// Subscribes to each in turn and checks the reply: accepted exactly when the model allows
    /// (a wildcard at least when some existing channel it matches is allowed), listed channels
    /// allowed, a `since` on an allowed channel recovered from the ring.
    func subscribe(_ subscriptions: [SubscriptionSpec], known: [String], tally: Tally) throws {
        for (i, s) in subscriptions.enumerated() {
            let id = i + 1
            var msg: [String: Any] = ["id": id, "op": "subscribe", "channel": s.channel]
            if let f = s.fields { msg["fields"] = f }
            var since = false
            if s.since, let state = try? hub.request("GET", "/api/state/\(s.channel)").object, let epoch = state["epoch"] as? String,
                let off = state["off"] as? Int
            {
                msg["since"] = ["epoch": epoch, "offset": max(0, off - 2)]
                since = true
            }
            try send(msg)
            let r = try reply(id)
            tally.add { $0.subscriptions += 1 }
            let exact = !s.channel.contains("*")
            let fieldsVisible = s.fields?.allSatisfy(model.sees(property:)) ?? true
            let duplicate = accepted.contains { $0.pattern == s.channel }
            // A channel already delivered through an earlier subscription is not joined again.
            let alreadyDelivered = view(of: s.channel) != nil
            let mayMatch = exact ? model.allows(channel: s.channel) : known.contains { AccessModel.matches(s.channel, $0) && model.allows(channel: $0) }
            let about = "subscribe \(s) → \(r); \(context)"
            if let result = r["result"] as? [String: Any] {
                tally.add { $0.accepted += 1 }
                #expect(!duplicate && fieldsVisible && (!exact || model.allows(channel: s.channel)), "accepted: \(about)")
                for ch in (result["channels"] as? [[String: Any]] ?? []).compactMap({ $0["ch"] as? String }) {
                    #expect(model.allows(channel: ch) && AccessModel.matches(s.channel, ch), "reply lists \(ch): \(about)")
                }
                if since {
                    tally.add { $0.recoveries += 1 }
                    #expect(result["recovered"] as? Bool == !alreadyDelivered, "recovery: \(about)")
                }
                accepted.append((s.channel, s.fields.map(Set.init)))
            } else {
                tally.add { $0.refused += 1 }
                let code = (r["error"] as? [String: Any])?["code"] as? Int
                if duplicate {
                    #expect(code == 1003, "duplicate: \(about)")
                } else {
                    #expect(code == 1011, "refusal code: \(about)")
                    #expect(!(fieldsVisible && mayMatch), "refused although allowed: \(about)")
                }
            }
        }
    }

    /// The view a channel is delivered with: nil when no accepted subscription matches it.
    private func view(of channel: String) -> Set<String>?? {
        guard let sub = accepted.first(where: { AccessModel.matches($0.pattern, channel) }) else { return nil }
        return .some(sub.fields)
    }

    /// Every message so far is checked; then `inject` publishes a round, and each injected
    /// channel the session may see and subscribed to must arrive live before the next ping's reply.
    func checkDelivered(injected: [String], inject: () -> Void, tally: Tally) throws {
        try send(["id": 998, "op": "ping"])
        _ = try reply(998)
        let start = log.count
        inject()
        try send(["id": 999, "op": "ping"])
        _ = try reply(999)
        var live = Set<String>()
        for (i, m) in log.enumerated().dropFirst(checked) {
            let about = "\(m); \(context)"
            if let type = m["type"] as? String {
                #expect(type == "channel", "unexpected push: \(about)")
                if let ch = m["ch"] as? String { #expect(model.allows(channel: ch) && view(of: ch) != nil, "channel push: \(about)") }
                continue
            }
            guard let ch = m["ch"] as? String else { continue }
            tally.add { $0.publications += 1 }
            #expect(model.allows(channel: ch), "delivered a channel the model refuses: \(about)")
            guard let view = view(of: ch) else {
                Issue.record("delivered without a subscription: \(about)")
                continue
            }
            for key in (m["data"] as? [String: Any] ?? [:]).keys {
                #expect(model.sees(property: key), "disclosed property \(key): \(about)")
                #expect(view?.contains(key) ?? true, "property \(key) outside fields \(view.map { $0.sorted() } ?? []): \(about)")
            }
            if i >= start && m["snap"] == nil { live.insert(ch) }
        }
        checked = log.count
        for ch in injected {
            guard model.allows(channel: ch), let view = view(of: ch) else { continue }
            let carries = ch.hasPrefix("trades.") ? "price" : ch.hasPrefix("book.") ? "bids" : "bid"
            guard model.sees(property: carries) && (view?.contains(carries) ?? true) else { continue }
            #expect(live.contains(ch), "\(ch) was not delivered live; \(context)")
        }
    }
}
