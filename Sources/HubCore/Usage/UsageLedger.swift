/// Usage counted since the last roll-up, keyed by row. The fan-out path does not come here: it
/// counts on its cursors (plain increments), which are folded in when a cursor goes and at each
/// roll-up; subscriptions, sessions and REST calls are added directly.
///
/// Threading: loop-confined.
public struct UsageLedger: Sendable {
    private(set) var rows: [UsageKey: UsageCounters] = [:]

    public init() {}

    public mutating func add(_ key: UsageKey, _ body: (inout UsageCounters) -> Void) {
        body(&rows[key, default: UsageCounters()])
    }

    public var isEmpty: Bool { rows.isEmpty }

    /// Everything counted, as rows; the ledger starts empty again.
    public mutating func drain() -> [UsageRow] {
        defer { rows.removeAll(keepingCapacity: true) }
        return rows.map { UsageRow(key: $0.key, counters: $0.value) }
    }
}
