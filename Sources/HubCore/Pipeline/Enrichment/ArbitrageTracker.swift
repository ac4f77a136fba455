/// Keeps arbitrage opportunities of one kind open while they last and turns their changes into
/// `arb.<kind>.<id>` ticks: one when an opportunity opens (its edge above `minEdge`), one when
/// its edge or legs change, and a retraction (`active: false`) when it closes (edge at or below
/// zero) — the gap between the two thresholds keeps an edge hovering near zero from flapping.
/// `edge` is the return per unit staked; `firstSeen`/`lastSeen` are venue times (ms).
///
/// Threading: loop-confined.
public final class ArbitrageTracker {
    public struct Opportunity: Equatable, Sendable {
        public let kind: String
        public let id: String
        public var edge: Double
        public var legs: String
        /// Size that can be taken on every leg, where the venues say (nil: unknown).
        public var size: Double?
        public var firstSeen: Int64
        public var lastSeen: Int64
    }

    struct IDs {
        let edge, legs, size, firstSeen, lastSeen, active: PropertyID
        init(_ p: PropertyTable) {
            edge = p.intern("edge")
            legs = p.intern("legs")
            size = p.intern("size")
            firstSeen = p.intern("firstSeen")
            lastSeen = p.intern("lastSeen")
            active = p.intern("active")
        }
    }

    public let kind: String
    public let minEdge: Double
    private let ids: IDs
    public private(set) var open: [String: Opportunity] = [:]
    /// Opportunities seen and closed since start (for tests and status).
    public private(set) var opened: UInt64 = 0
    public private(set) var closed: UInt64 = 0

    init(kind: String, properties: PropertyTable, minEdge: Double = 0) {
        self.kind = kind
        self.minEdge = minEdge
        ids = IDs(properties)
    }

    /// Reports the current state of opportunity `id`: an edge above `minEdge` opens it, above
    /// zero keeps it open, nil or ≤ 0 closes it. `legs` is only built when something is open.
    /// Emits a tick when something a subscriber sees changed.
    func update(id: String, edge: Double?, legs makeLegs: () -> String, size: Double? = nil, time: Int64, receiveTime: Int64, emit: (Tick) -> Void) {
        if let edge, edge.isFinite, edge > 1e-12, open[id] != nil || edge > minEdge {
            let legs = makeLegs()
            if var o = open[id] {
                let changed = abs(o.edge - edge) > 1e-12 || o.legs != legs || o.size != size
                o.edge = edge
                o.legs = legs
                o.size = size
                o.lastSeen = time
                open[id] = o
                if changed { emit(tick(o, isOpen: true, receiveTime)) }
            } else {
                let o = Opportunity(kind: kind, id: id, edge: edge, legs: legs, size: size, firstSeen: time, lastSeen: time)
                open[id] = o
                opened += 1
                emit(tick(o, isOpen: true, receiveTime))
            }
        } else if var o = open.removeValue(forKey: id) {
            o.lastSeen = time
            closed += 1
            emit(tick(o, isOpen: false, receiveTime))
        }
    }

    private func tick(_ o: Opportunity, isOpen: Bool, _ receiveTime: Int64) -> Tick {
        var fields = [
            Field(ids.edge, .number(o.edge)), Field(ids.legs, .string(o.legs)), Field(ids.firstSeen, .integer(o.firstSeen)),
            Field(ids.lastSeen, .integer(o.lastSeen)), Field(ids.active, .bool(isOpen)),
        ]
        if let s = o.size { fields.append(Field(ids.size, .number(s))) }
        return Tick(source: kind, instrument: o.id, stream: .arb, exchangeTime: o.lastSeen, receiveTime: receiveTime, fields: fields)
    }
}
