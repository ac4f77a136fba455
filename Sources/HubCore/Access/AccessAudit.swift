import Synchronization

/// RBAC in audit-only mode (a phased rollout, docs/guides/rollout.md): what the roles would
/// refuse — channels, properties, read scopes — is let through, counted, and told once per
/// name to `report` (the hub logs it). Write scopes and publishing stay enforced.
///
/// Threading: any thread.
public final class AccessAudit: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case channel, property, scope
    }

    private let state = Mutex<(counts: [Kind: UInt64], seen: Set<String>)>(([:], []))
    private let report: @Sendable (Kind, String, [String]) -> Void

    /// `report(kind, name, roles)` is called the first time a name would be denied.
    public init(report: @escaping @Sendable (Kind, String, [String]) -> Void = { _, _, _ in }) {
        self.report = report
    }

    /// Records a would-be denial of `name` for `roles`; always true (the caller lets it through).
    func wouldDeny(_ kind: Kind, _ name: String, roles: [String]) -> Bool {
        let first = state.withLock { s -> Bool in
            s.counts[kind, default: 0] += 1
            guard s.seen.count < 10_000 else { return false }  // bounded: the counts go on
            return s.seen.insert("\(kind.rawValue):\(name):\(roles.joined(separator: ","))").inserted
        }
        if first { report(kind, name, roles) }
        return true
    }

    /// Would-be denials so far, by kind.
    public var counts: [String: UInt64] {
        state.withLock { s in Dictionary(uniqueKeysWithValues: Kind.allCases.map { ($0.rawValue, s.counts[$0] ?? 0) }) }
    }

    public var total: UInt64 { state.withLock { $0.counts.values.reduce(0, +) } }
}
