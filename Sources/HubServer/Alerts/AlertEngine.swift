import DequeModule
import Foundation
import HubCore
import Logging

/// Evaluates the alert rules on a timer and moves each through its states: `inactive` →
/// `pending` (the condition holds) → `firing` (it held for `forSeconds`) → `resolved` (it no
/// longer holds); a pending alert whose condition clears goes back to `inactive`. Every
/// transition is published on `alerts.hub.<rule>` through the pipeline, logged, kept for
/// `GET /api/monitoring/alerts`, and handed to the webhooks.
///
/// Threading: loop-confined.
final class AlertEngine {
    enum State: String, Encodable, CaseIterable {
        case inactive, pending, firing, resolved

        /// For `streamhub_alert_state`: 0 inactive or resolved, 1 pending, 2 firing.
        var level: Int {
            switch self {
            case .inactive, .resolved: return 0
            case .pending: return 1
            case .firing: return 2
            }
        }
    }

    /// One rule's alert now.
    struct Status: Encodable {
        let rule: String
        let kind: AlertRule.Kind
        let severity: String
        let state: State
        /// When the current state began.
        let since: Date?
        let value: Double?
        let threshold: Double
        let message: String?
    }

    /// One change of state.
    struct Transition: Encodable {
        let rule: String
        let kind: AlertRule.Kind
        let severity: String
        let from: State
        let to: State
        let at: Date
        let value: Double
        let threshold: Double
        let message: String
        let channel: String
    }

    private struct Tracked {
        var state = State.inactive
        /// Hub-clock nanoseconds when `state` began (pending: when the condition started to hold).
        var since: UInt64 = 0
        var sinceWall: Date?
        var last: AlertObservation?
    }

    private(set) var rules: [AlertRule]
    private var tracked: [String: Tracked] = [:]
    private(set) var recent: Deque<Transition> = []
    private let inputs: AlertInputs
    private let clock: HubClock
    private let logger: Logger
    /// Called with each transition (the webhooks).
    var onTransition: (Transition) -> Void = { _ in }

    init(rules: [AlertRule], inputs: AlertInputs, clock: HubClock, logger: Logger) {
        self.rules = rules
        self.inputs = inputs
        self.clock = clock
        self.logger = logger
    }

    /// A new rule set: alerts of rules that are gone (or changed) end — a firing one resolves
    /// (published and notified unless `notify` is false: a cluster node that does not evaluate).
    func replace(_ new: [AlertRule], notify: Bool = true) {
        let kept = Dictionary(uniqueKeysWithValues: new.map { ($0.name, $0) })
        for old in rules where kept[old.name] != old {
            if notify, let t = tracked[old.name], t.state == .pending || t.state == .firing {
                let obs = AlertObservation(holds: false, value: t.last?.value ?? 0, message: "the rule was changed or removed")
                move(old, from: t.state, to: t.state == .firing ? .resolved : .inactive, obs)
            }
            tracked[old.name] = nil
        }
        rules = new
    }

    /// Forgets every rule's state without transitions (a cluster node that stopped evaluating:
    /// the coordinator's engine owns the alerts now).
    func forgetStates() { tracked.removeAll() }

    /// Evaluates every rule once (the timer calls this every `alerts.evaluateSeconds`).
    func evaluate() {
        let now = clock.monotonicNanoseconds()
        for rule in rules {
            let obs = inputs.observe(rule)
            var t = tracked[rule.name] ?? Tracked()
            t.last = obs
            tracked[rule.name] = t
            switch t.state {
            case .inactive, .resolved:
                guard obs.holds else { continue }
                if rule.forSeconds == 0 {
                    move(rule, from: t.state, to: .firing, obs)
                } else {
                    move(rule, from: t.state, to: .pending, obs)
                }
            case .pending:
                if !obs.holds {
                    move(rule, from: .pending, to: .inactive, obs)
                } else if Double(now &- t.since) / 1e9 >= rule.forSeconds {
                    move(rule, from: .pending, to: .firing, obs)
                }
            case .firing:
                if !obs.holds { move(rule, from: .firing, to: .resolved, obs) }
            }
        }
    }

    private func move(_ rule: AlertRule, from: State, to: State, _ obs: AlertObservation) {
        let wall = clock.wallMicroseconds()
        let at = Date(timeIntervalSince1970: Double(wall) / 1e6)
        if tracked[rule.name] != nil {
            // Pending keeps the time the condition began; firing starts its own.
            tracked[rule.name]!.state = to
            tracked[rule.name]!.since = clock.monotonicNanoseconds()
            tracked[rule.name]!.sinceWall = at
        }
        let t = Transition(
            rule: rule.name, kind: rule.kind, severity: rule.severity, from: from, to: to, at: at, value: obs.value, threshold: rule.threshold,
            message: obs.message, channel: "alerts.hub.\(rule.name)")
        recent.append(t)
        if recent.count > 200 { recent.removeFirst() }
        let metadata: Logger.Metadata = [
            "rule": "\(rule.name)", "state": "\(to.rawValue)", "from": "\(from.rawValue)", "value": "\(obs.value)", "message": "\(obs.message)",
        ]
        if to == .firing { logger.warning("alert firing", metadata: metadata) } else { logger.info("alert \(to.rawValue)", metadata: metadata) }
        inputs.pipeline.process(
            RawEvent(
                source: "hub", instrument: rule.name, stream: .alerts, exchangeTime: wall / 1000, receiveTime: wall,
                fields: [
                    HubSchema.field(.alertState, .string(to.rawValue)), HubSchema.field(.alertPreviousState, .string(from.rawValue)),
                    HubSchema.field(.alertKind, .string(rule.kind.rawValue)), HubSchema.field(.alertSeverity, .string(rule.severity)),
                    HubSchema.field(.alertValue, .number(obs.value)), HubSchema.field(.alertThreshold, .number(rule.threshold)),
                    HubSchema.field(.alertMessage, .string(obs.message)),
                ]), lease: Pipeline.coordinatorLease)
        onTransition(t)
    }

    /// Every rule's alert now.
    func statuses() -> [Status] {
        rules.map { rule in
            let t = tracked[rule.name] ?? Tracked()
            return Status(
                rule: rule.name, kind: rule.kind, severity: rule.severity, state: t.state, since: t.sinceWall, value: t.last?.value, threshold: rule.threshold,
                message: t.last?.message)
        }
    }

    /// `streamhub_alert_state{rule}`.
    func levels() -> [(rule: String, state: Int)] {
        rules.map { ($0.name, (tracked[$0.name]?.state ?? .inactive).level) }
    }
}
