import HubCore
import HubStore

/// What another cluster node changed in the shared store and this node keeps in memory besides
/// identity and flags (which `IdentityService.poll` re-reads): instrument mappings, property
/// definitions, alert rules. Read on the store queue, applied on the loop — only what differs.
struct ControlPlaneRefresh: @unchecked Sendable {
    let mappings: [InstrumentMapping]
    let properties: [PropertyDefinition]
    let alertRules: [AlertRule]?

    /// The store's current definitions (store queue).
    static func read(_ store: HubStore) throws -> ControlPlaneRefresh {
        ControlPlaneRefresh(mappings: try store.mappings(), properties: try store.properties(), alertRules: try store.alertRules(as: [AlertRule].self))
    }

    /// Applies what differs from the running hub (loop): mappings reload cross-venue state,
    /// definitions added or replaced recompile views, rules replace the engine's.
    func apply(pipeline: Pipeline, registry: PropertyRegistry, alerts: AlertEngine, nowMillis: Int64, propertiesChanged: () -> Void) {
        if mappings != pipeline.enrich.mappings { pipeline.load(mappings: mappings, nowMillis: nowMillis) }
        if registry.absorb(properties) { propertiesChanged() }
        // Only the coordinator evaluates (and notifies): elsewhere the rules are replaced quietly.
        if let alertRules, alertRules != alerts.rules { alerts.replace(alertRules, notify: pipeline.hub.holds(Pipeline.coordinatorLease)) }
    }
}
