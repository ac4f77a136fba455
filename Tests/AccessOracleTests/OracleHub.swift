import Foundation
import HubCore
import HubTesting
import Testing
import Venues

/// The live hub the oracle drives, and one case run against it: roles and flags written through
/// the REST API, a user holding the roles, its WebSocket session, its REST answers — each
/// checked against `AccessModel`.
final class OracleHub: @unchecked Sendable {
    let hub: TestHub
    /// Every property of the hub's catalogue (as the admin lists it): tier and flag.
    private let catalogue: [String: AccessModel.Property]
    /// The default roles' grants (as the admin lists them).
    private let builtIn: [String: AccessModel.Grants]
    private var caseNumber = 0
    /// One user per set of roles, made on first use (every identity write reloads every user:
    /// a user per case would make the run quadratic).
    private var users: [[String]: (id: Int, token: String)] = [:]
    private var tradeSeq: UInt64 = 0

    /// Channels fed by `injectRound()`: deterministic, so delivery must be complete, not just allowed.
    static let injected = [
        "ticker.deribit.X-PERP", "ticker.deribit.Y-PERP", "trades.deribit.X-PERP", "trades.deribit.Y-PERP", "book.deribit.X-PERP", "arb.deribit.Y-PERP",
    ]
    /// Channels the simulators and cross-venue enrichment keep live.
    static let simulated = ["ticker.binance.BTC/USDT", "ticker.coinbase.BTC/USD", "ticker.composite.BTC-USD", "arb.crypto.BTC-USD", "sources.hub.binance"]

    init() throws {
        hub = try TestHub {
            $0.feeds.venues.binance.enabled = true
            $0.feeds.venues.binance.simulate = true
            $0.feeds.venues.binance.simulatorStepMilliseconds = 100
            $0.feeds.venues.binance.feed.symbols = ["BTC/USDT"]
            $0.feeds.venues.coinbase.enabled = true
            $0.feeds.venues.coinbase.simulate = true
            $0.feeds.venues.coinbase.simulatorStepMilliseconds = 100
            $0.feeds.venues.coinbase.feed.symbols = ["BTC/USD"]
        }
        let hub = self.hub
        try hub.waitUntilLive("binance", "coinbase")
        // Coinbase far above Binance: a crypto arbitrage stays open for the whole run.
        hub.simulator(CoinbaseSimulator.self)!.move("BTC-USD", to: 70_000)
        try eventually(timeout: 10, "the arbitrage open") {
            ((try hub.request("GET", "/api/arbitrage/opportunities").object)["count"] as? Int ?? 0) > 0
        }
        let props = try hub.request("GET", "/api/properties").object["properties"] as? [[String: Any]] ?? []
        catalogue = Dictionary(
            uniqueKeysWithValues: props.compactMap { p in
                (p["name"] as? String).map { ($0, AccessModel.Property(tier: p["tier"] as? String ?? "?", flag: p["flag"] as? String)) }
            })
        let roles = try hub.request("GET", "/api/roles").object["roles"] as? [[String: Any]] ?? []
        builtIn = Dictionary(
            uniqueKeysWithValues: roles.compactMap { r in (r["id"] as? String).map { ($0, Self.grants(r["grants"] as? [String: Any] ?? [:])) } })
        for name in OracleGen.flagNames where try hub.request("GET", "/api/features/\(name)").status == 404 {
            _ = try hub.request("POST", "/api/features", #"{"name":"\#(name)","enabled":false}"#)
        }
        // The generated roles: three ids redefined by every case (the store stays small).
        for i in 0..<3 { _ = try hub.request("POST", "/api/roles", #"{"id":"oracle-r\#(i)","grants":{}}"#) }
        injectRound()
    }

    /// A role's grants as `GET /api/roles` states them.
    static func grants(_ g: [String: Any]) -> AccessModel.Grants {
        var m = AccessModel.Grants()
        for rule in g["channels"] as? [[String: Any]] ?? [] {
            if let p = rule["allow"] as? String { m.allow.append((p, rule["flag"] as? String)) }
            if let p = rule["deny"] as? String { m.deny.append(p) }
        }
        m.tiers = Set(g["tiers"] as? [String] ?? [])
        let props = g["properties"] as? [String: Any] ?? [:]
        m.allowProperties = Set(props["allow"] as? [String] ?? [])
        m.denyProperties = Set(props["deny"] as? [String] ?? [])
        m.scopes = Set(g["scopes"] as? [String] ?? [])
        return m
    }

    /// One event on each injected channel (tickers with a bid; trades with a price and an internal sequence).
    func injectRound() {
        var events: [RawEvent] = []
        for ch in Self.injected {
            let parts = ch.split(separator: ".").map(String.init)
            let stream = StreamKind(rawValue: parts[0])!
            if stream == .trades {
                tradeSeq += 1
                events.append(
                    RawEvent(
                        source: "deribit", instrument: parts[2], stream: .trades, exchangeTime: 1_700_000_000_000, receiveTime: WallClock.microseconds(),
                        sequence: tradeSeq,
                        fields: [
                            RawField(DeribitField.price.rawValue, .number(100)), RawField(DeribitField.amount.rawValue, .number(1)),
                            RawField(DeribitField.direction.rawValue, .string("buy")), RawField(DeribitField.tradeSeq.rawValue, .integer(Int64(tradeSeq))),
                        ]))
            } else if stream == .book {
                let levels = (0..<3).map { PriceLevel(price: 100 - Double($0), amount: 1) }
                events.append(
                    RawEvent(
                        source: "deribit", instrument: parts[2], stream: .book, exchangeTime: 1_700_000_000_000, receiveTime: WallClock.microseconds(),
                        fields: [
                            RawField(DeribitField.bids.rawValue, .levels(levels)),
                            RawField(DeribitField.asks.rawValue, .levels(levels.map { PriceLevel(price: $0.price + 5, amount: 2) })),
                        ]))
            } else {
                let bid = 100 + Double(tradeSeq % 7)
                events.append(
                    RawEvent(
                        source: "deribit", instrument: parts[2], stream: stream, exchangeTime: 1_700_000_000_000, receiveTime: WallClock.microseconds(),
                        fields: [
                            RawField(DeribitField.bestBidPrice.rawValue, .number(bid)), RawField(DeribitField.bestAskPrice.rawValue, .number(bid + 0.5)),
                            RawField(DeribitField.bestBidAmount.rawValue, .number(10)), RawField(DeribitField.bestAskAmount.rawValue, .number(20)),
                        ]))
            }
        }
        hub.inject(events)
    }

    /// Runs one case; disagreements with the model are recorded as issues.
    func run(_ c: OracleCase, _ tally: Tally) throws {
        caseNumber += 1
        let n = caseNumber
        // Roles: defaults by name, generated ones written through the REST API.
        var roleIDs: [String] = [], grants: [AccessModel.Grants] = []
        for (i, r) in c.roles.enumerated() {
            if let b = r.builtIn {
                roleIDs.append(b)
                grants.append(builtIn[b]!)
                continue
            }
            let id = "oracle-r\(i)"
            let rules: [[String: Any]] = r.rules.map { rule in
                var o: [String: Any] = [rule.allow ? "allow" : "deny": rule.pattern]
                if let f = rule.flag { o["flag"] = f }
                return o
            }
            let g: [String: Any] = [
                "channels": rules, "tiers": r.tiers, "properties": ["allow": r.allowProperties, "deny": r.denyProperties], "scopes": r.scopes,
            ]
            let put = try hub.request("PUT", "/api/roles/\(id)", try Self.json(["grants": g]))
            guard put.status == 200 else { throw TestHub.RequestFailed(description: "role \(id): \(put.status) \(put.text)") }
            roleIDs.append(id)
            grants.append(Self.grants(g))
        }
        var held: [String] = []
        for id in roleIDs where !held.contains(id) { held.append(id) }
        let user = try user(holding: held)
        let userId = "\(user.id)"

        // Flags: each redefined for this case; the model decides which are on for this user.
        var flagsOn = Set<String>()
        for (name, spec) in zip(OracleGen.flagNames, c.flags) {
            let (body, flag) = Self.flag(name, spec, roles: roleIDs, userId: userId)
            let put = try hub.request("PUT", "/api/features/\(name)", body)
            guard put.status == 200 else { throw TestHub.RequestFailed(description: "flag \(name): \(put.status) \(put.text)") }
            if flag.isOn(userId: userId, roles: held) { flagsOn.insert(name) }
        }
        let model = AccessModel(grants: grants, flagsOn: flagsOn, catalogue: catalogue)
        let context = "case \(n), user \(userId) roles \(held), flags on \(flagsOn.sorted())"

        let session = try OracleSession(hub: hub, token: user.token, model: model, context: context)
        defer { session.close() }
        let known = try knownChannels()
        try session.subscribe(c.subscriptions, known: known, tally: tally)
        try session.checkDelivered(injected: Self.injected, inject: injectRound, tally: tally)
        try checkREST(c.probes + [Self.injected[n % Self.injected.count]], known: known, token: user.token, model: model, context: context, tally: tally)
        tally.add { $0.cases += 1 }
    }

    /// The user holding exactly `roles`.
    func user(holding roles: [String]) throws -> (id: Int, token: String) {
        if let u = users[roles] { return u }
        let u = try hub.createUser(roles: roles)
        users[roles] = u
        return u
    }

    /// The channels that exist now (as the admin lists them).
    func knownChannels() throws -> [String] {
        let list = try hub.request("GET", "/api/channels?limit=10000").object["channels"] as? [[String: Any]] ?? []
        return list.compactMap { $0["ch"] as? String }
    }

    /// `GET /api/state/<probe>`, `/api/arbitrage/opportunities` and `/api/channels` as the user.
    func checkREST(_ probes: [String], known: [String], token: String, model: AccessModel, context: String, tally: Tally) throws {
        let canState = model.has(scope: "state:read")
        for p in probes {
            let exists = try hub.request("GET", "/api/state/\(p)").status == 200
            let r = try hub.request("GET", "/api/state/\(p)", token: token)
            tally.add { $0.restAnswers += 1 }
            guard canState else {
                #expect(r.status == 403, "state \(p) without state:read: \(r.status); \(context)")
                continue
            }
            guard exists && model.allows(channel: p) else {
                #expect(r.status == 404, "state \(p) (exists: \(exists), allowed: \(model.allows(channel: p))): \(r.status) \(r.text); \(context)")
                continue
            }
            #expect(r.status == 200, "state \(p) allowed: \(r.status) \(r.text); \(context)")
            let data = r.object["data"] as? [String: Any] ?? [:]
            for key in data.keys { #expect(model.sees(property: key), "state \(p) disclosed \(key); \(context)") }
        }

        let openBefore = try openOpportunities()
        let arb = try hub.request("GET", "/api/arbitrage/opportunities", token: token)
        let openAfter = try openOpportunities()
        tally.add { $0.restAnswers += 1 }
        if canState {
            #expect(arb.status == 200, "arbitrage: \(arb.status); \(context)")
            let opportunities = arb.object["opportunities"] as? [[String: Any]] ?? []
            for o in opportunities {
                let ch = o["channel"] as? String ?? "?"
                #expect(model.allows(channel: ch), "arbitrage listed \(ch); \(context)")
                for key in o.keys where !["kind", "id", "channel"].contains(key) {
                    #expect(model.sees(property: key), "arbitrage disclosed \(key); \(context)")
                }
            }
            // Open throughout (the admin saw it before and after): listed exactly when visible.
            for ch in openBefore.intersection(openAfter) {
                let visible = model.sees(property: "edge") && model.allows(channel: ch)
                #expect(
                    opportunities.contains { $0["channel"] as? String == ch } == visible, "arbitrage \(ch) listed should be \(visible): \(arb.text); \(context)"
                )
            }
        } else {
            #expect(arb.status == 403, "arbitrage without state:read: \(arb.status); \(context)")
        }

        let channels = try hub.request("GET", "/api/channels?limit=10000", token: token)
        tally.add { $0.restAnswers += 1 }
        if model.has(scope: "streams:read") {
            let listed = (channels.object["channels"] as? [[String: Any]] ?? []).compactMap { $0["ch"] as? String }
            for ch in listed { #expect(model.allows(channel: ch), "channels listed \(ch); \(context)") }
            for ch in known where model.allows(channel: ch) { #expect(listed.contains(ch), "channels left out \(ch); \(context)") }
        } else {
            #expect(channels.status == 403, "channels without streams:read: \(channels.status); \(context)")
        }
    }

    /// The channels of the opportunities open now (as the admin sees them).
    func openOpportunities() throws -> Set<String> {
        let list = try hub.request("GET", "/api/arbitrage/opportunities").object["opportunities"] as? [[String: Any]] ?? []
        return Set(list.compactMap { $0["channel"] as? String })
    }

    /// A flag definition for the REST API, and the same flag as the model reads it.
    static func flag(_ name: String, _ spec: FlagSpec, roles: [String], userId: String) -> (String, ModelFlag) {
        func roleNames(_ indexes: [Int]) -> [String] { indexes.filter { $0 < roles.count }.map { roles[$0] } }
        func users(_ includes: Bool) -> [String] { includes ? [userId, "999999"] : ["999999"] }
        var strategies: [[String: Any]] = []
        var model = ModelFlag(name: name, enabled: spec.enabled, strategies: [])
        for s in spec.strategies {
            var o: [String: Any]
            let strategy: ModelFlag.Strategy
            switch s.kind {
            case .standard:
                o = ["name": "default"]
                strategy = .standard
            case .userWithId:
                o = ["name": "userWithId", "parameters": ["userIds": users(s.includesUser).joined(separator: ",")]]
                strategy = .userWithId(users(s.includesUser))
            case .userWithRole:
                let listed = roleNames(s.roleIndexes)
                o = ["name": "userWithRole", "parameters": ["roles": listed.joined(separator: ",")]]
                strategy = .userWithRole(listed)
            case .flexibleRollout:
                o = ["name": "flexibleRollout", "parameters": ["rollout": "\(s.rollout)", "stickiness": "userId", "groupId": s.groupId]]
                strategy = .flexibleRollout(rollout: s.rollout, groupId: s.groupId)
            }
            var constraints: [ModelFlag.Constraint] = []
            if let k = s.constraint {
                let values = k.onRoles ? roleNames(k.roleIndexes) : users(k.includesUser)
                o["constraints"] = [
                    ["contextName": k.onRoles ? "roles" : "userId", "operator": k.notIn ? "NOT_IN" : "IN", "values": values, "inverted": k.inverted]
                ]
                constraints.append(.init(field: k.onRoles ? "roles" : "userId", notIn: k.notIn, values: values, inverted: k.inverted))
            }
            strategies.append(o)
            model.strategies.append((strategy, constraints))
        }
        let body: [String: Any] = ["description": "access oracle", "enabled": spec.enabled, "strategies": strategies]
        return ((try? json(body)) ?? "{}", model)
    }

    static func json(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}
