/// The four stages in order — ingest (feed adapters decode), transform, enrich, serve — with
/// each stage's latency measured per tick. Every publication enters here: decoded events
/// (`process`), and the derived updates that follow a source going down, mapping changes and
/// restored state (`sourceDown`, `load(mappings:)`, `retractRestoredOpportunities`).
///
/// Threading: loop-confined; runs inline on the loop thread (zero hand-offs).
public final class Pipeline: @unchecked Sendable {
    public let transform: Transform
    public let enrich: Enrich
    public let hub: Hub
    public private(set) var latency = StageLatency()

    public init(transform: Transform, enrich: Enrich, hub: Hub) {
        self.transform = transform
        self.enrich = enrich
        self.hub = hub
        // Evicted ticks' field arrays go back to transformation (no allocation per tick).
        let pool = FieldArrayPool()
        transform.fieldPool = pool
        hub.fieldPool = pool
        // In a cluster, other nodes' ticks take part in composites and arbitrage here too.
        hub.remoteObserver = { tick in
            enrich.observeCrossVenue(tick) { d in hub.producing(Self.coordinatorLease) { _ = hub.publish(d) } }
        }
    }

    /// The cluster lease of everything not made by one feed: cross-venue enrichment (composites,
    /// crypto and prediction arbitrage), alerts, the publish API.
    public static let coordinatorLease = "coordinator"

    /// Records how long a feed adapter took to decode one frame (the ingest stage).
    public func recordIngest(nanoseconds: UInt64) {
        latency.record(.ingest, nanoseconds: nanoseconds)
    }

    /// Runs transform → enrich → serve for one decoded event. In a cluster its publications are
    /// made under `lease` (default: the event's source, the feed that decoded it), the
    /// cross-venue ones under the coordinator's.
    public func process(_ event: RawEvent, lease: String? = nil) {
        let t0 = MonotonicClock.nanoseconds()
        guard var tick = transform.transform(event) else { return }
        let t1 = MonotonicClock.nanoseconds()
        var derived: [Tick] = []
        var crossVenue: [Tick] = []
        enrich.enrich(&tick, emit: { derived.append($0) }, crossVenue: { crossVenue.append($0) })
        let t2 = MonotonicClock.nanoseconds()
        // Derived ticks (best lines, consensus, arbitrage) follow the tick that caused them.
        hub.producing(lease ?? event.source) {
            hub.publish(tick)
            for d in derived { hub.publish(d) }
        }
        if !crossVenue.isEmpty {
            hub.producing(Self.coordinatorLease) {
                for d in crossVenue { hub.publish(d) }
            }
        }
        let t3 = MonotonicClock.nanoseconds()
        latency.record(.transform, nanoseconds: t1 - t0)
        latency.record(.enrich, nanoseconds: t2 - t1)
        latency.record(.serve, nanoseconds: t3 - t2)
    }

    /// A source went down: its quotes leave composite quotes and arbitrage, and what changes
    /// (composites, retracted opportunities) is published.
    public func sourceDown(_ source: String, nowMillis: Int64) {
        var own: [Tick] = []
        var crossVenue: [Tick] = []
        enrich.sourceDown(source, now: nowMillis, emit: { own.append($0) }, crossVenue: { crossVenue.append($0) })
        hub.producing(source) {
            for t in own { hub.publish(t) }
        }
        hub.producing(Self.coordinatorLease) {
            for t in crossVenue { hub.publish(t) }
        }
    }

    /// The instrument mappings changed: cross-venue state is rebuilt, and composites or
    /// opportunities of removed or changed mappings are retracted.
    public func load(mappings: [InstrumentMapping], nowMillis: Int64) {
        hub.producing(Self.coordinatorLease) {
            enrich.load(mappings: mappings, now: nowMillis) { hub.publish($0) }
        }
    }

    /// Opportunities restored from history were open when the last run stopped, and nothing
    /// tracks them now: each is retracted (`active: false`), so subscribers never see a phantom.
    /// Not in a cluster: there, opportunities restored may be tracked by another node.
    public func retractRestoredOpportunities(nowMillis: Int64) {
        guard hub.leases == nil, let active = transform.registry.id("active") else { return }
        for c in hub.allChannels where c.key.stream == .arb {
            guard var t = c.state, t.value(active) == .bool(true) else { continue }
            t.set(active, .bool(false))
            t.exchangeTime = nowMillis
            t.receiveTime = nowMillis * 1000
            hub.producing(Self.coordinatorLease) { _ = hub.publish(t) }
        }
    }

    public func resetLatency() { latency.reset() }

    /// Moves every stage's latency windows on by `slots` ten-second slots.
    public func rotateLatency(_ slots: Int) { latency.rotate(slots) }
}
