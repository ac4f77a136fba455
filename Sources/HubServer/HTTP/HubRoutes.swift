import Foundation
import HubCore
import HubStore
import Logging
import WebSocketLoop

/// Every REST route of the hub, each API wired to the pieces it answers from: identity, the
/// store (through the store queue), the data plane and the feeds.
///
/// Threading: built before the loop runs; handlers run on the loop thread.
final class HubRoutes {
    /// The APIs stay alive as long as the routes that call them.
    private var apis: [AnyObject] = []

    init(
        router: HTTPRouter, identity: IdentityService, store: HubStore, storeQueue: DispatchQueue, loop: EventLoop, plane: DataPlane,
        feeds: FeedSupervisor, observability: Observability, publisher: Publisher, publishMaxBytes: Int, clock: HubClock, logger: Logger,
        health: @escaping () -> HealthReport, cluster: @escaping () -> ClusterNode.Report, afterStoreWork: ((HubStore) -> Void)? = nil
    ) {
        let pipeline = plane.pipeline, registry = plane.registry
        let authorizer = BearerAuthorizer(identity: identity, loop: loop)
        router.authorizer = authorizer
        // Load balancers see the status; the details (upstream URLs, counters) need monitoring:read.
        router.add("GET", "/healthz", .openIdentified, doc: .healthz) { _, context, respond in
            let report = health()
            let detailed = context.caller?.policy.has(scope: "monitoring:read") == true
            respond(detailed ? .json(report) : .json(HealthReport.Summary(status: report.status)))
        }
        router.add("GET", "/api/cluster", .scope("monitoring:read"), doc: .cluster) { _, _, respond in respond(.json(cluster())) }
        let gateway = StoreGateway(store: store, queue: storeQueue, loop: loop, logger: logger, afterWork: afterStoreWork)
        let properties = PropertiesAPI(
            registry: registry, transform: pipeline.transform, store: store, storeQueue: storeQueue, loop: loop, logger: logger,
            onChange: { [identity] in identity.propertiesChanged() })
        properties.afterWork = afterStoreWork
        let state = StateAPI(hub: pipeline.hub, identity: identity)
        let auth = AuthAPI(identity: identity, gateway: gateway, loop: loop, clock: clock)
        let users = UsersAPI(identity: identity, gateway: gateway, clock: clock)
        let roles = RolesAPI(identity: identity, gateway: gateway)
        let audit = AuditAPI(gateway: gateway)
        let features = FeaturesAPI(identity: identity, gateway: gateway, registry: registry)
        let streams = StreamsAPI(hub: pipeline.hub, monitor: feeds.monitor)
        let channels = ChannelsAPI(hub: pipeline.hub)
        let mappings = MappingsAPI(gateway: gateway, pipeline: pipeline, clock: clock)
        let arbitrage = ArbitrageAPI(enrich: pipeline.enrich, registry: registry)
        let orca = OrcaAPI(hub: pipeline.hub, enrich: pipeline.enrich, registry: registry)
        let monitoring = MonitoringAPI(exporter: observability.exporter, performance: observability.performance, config: observability.metricsConfig)
        let analytics = AnalyticsAPI(recorder: observability.usage, gateway: gateway, clock: clock)
        let transfer = TransferAPI(identity: identity, gateway: gateway, registry: registry, onProperties: { [identity] in identity.propertiesChanged() })
        transfer.routes(router)
        let publish = PublishAPI(publisher: publisher, maxBytes: publishMaxBytes)
        publish.routes(router)
        let alerts = AlertsAPI(engine: observability.alerts, webhooks: observability.webhooks, gateway: gateway, evaluateSeconds: observability.evaluateSeconds)
        monitoring.routes(router)
        analytics.routes(router)
        alerts.routes(router)
        mappings.routes(router)
        arbitrage.routes(router)
        orca.routes(router)
        properties.routes(router)
        state.routes(router)
        auth.routes(router)
        users.routes(router)
        roles.routes(router)
        audit.routes(router)
        features.routes(router)
        streams.routes(router)
        channels.routes(router)
        // Last, so the description covers every route (itself included), built once on first use.
        var described: [UInt8]?
        router.add("GET", "/api/openapi.json", .open, doc: .openAPI) { [unowned router] _, _, respond in
            let body = described ?? OpenAPIDocument.json(router.described, version: OpenAPIDocument.apiVersion)
            described = body
            respond(HTTPResponse(status: 200, body: body))
        }
        apis = [
            authorizer, properties, state, auth, users, roles, audit, features, streams, channels, mappings, arbitrage, orca, monitoring, analytics, alerts,
            publish, transfer,
        ]
    }
}
