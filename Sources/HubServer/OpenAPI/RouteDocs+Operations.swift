/// Descriptions of the operations routes: health, metrics, performance, alerts, usage
/// analytics, the audit log and this description itself (docs/rest.md, docs/guides/observability.md).
extension RouteDoc {
    static let healthz = RouteDoc(
        tag: "operations", summary: "Health: the status for load balancers; the details with `monitoring:read`",
        responses: [
            .ok(
                .object(
                    [
                        "status": .oneOf(["ok", "degraded", "down"]), "uptimeSeconds": .number, "connections": .integer, "channels": .integer,
                        "sources": .array(.anyObject), "pipeline": .map(.anyObject), "history": .anyObject, "serve": .anyObject,
                    ], required: ["status"]))
        ])
    static let cluster = RouteDoc(
        tag: "operations", summary: "The cluster: this node, the leases and their holders, the live nodes, the Redis links",
        description: "With `cluster.enabled` off, `enabled` is false and the lists are empty.",
        responses: [
            .ok(
                .object(
                    [
                        "enabled": .boolean, "node": Schema.string.orNull, "failoverSeconds": Schema.number.orNull,
                        "leases": .array(
                            .object(
                                [
                                    "name": .string, "holder": Schema.string.orNull, "token": Schema.string.orNull, "ttlMs": Schema.integer.orNull,
                                    "mine": .boolean,
                                ], required: ["name", "mine"])),
                        "nodes": .array(.object(["node": .string, "url": .string, "startedAt": .string], required: ["node"])),
                        "redisConnected": .boolean, "lastError": Schema.string.orNull, "subscriber": Schema.anyObject.orNull,
                        "counters": Schema.map(.integer).orNull,
                    ], required: ["enabled", "leases", "nodes"]))
        ])
    static let metrics = RouteDoc(
        tag: "operations", summary: "Prometheus metrics (text exposition format)",
        description: "Also open to the bearer token `metrics.token`, and with `metrics.loopbackOpen` to loopback callers.",
        responses: [RouteDoc.Response(status: 200, description: "The metrics", content: ["text/plain": .string])])
    static let performance = RouteDoc(
        tag: "operations", summary: "Rates, stage latencies, memory and loop load over the last windows",
        responses: [
            .ok(
                .object(
                    [
                        "windows": .map(.anyObject), "memory": .anyObject, "openDescriptors": .integer, "maxDescriptors": .integer, "loopBusyRatio": .number,
                        "connections": .integer, "subscriptions": .integer, "channels": .integer, "views": .integer, "filters": .integer,
                    ], required: ["windows", "memory", "connections"]))
        ])
    static let alertRules = Schema.object(["rules": .array(.ref("AlertRule")), "evaluateSeconds": .number], required: ["rules", "evaluateSeconds"])
    static let alertRulesGet = RouteDoc(tag: "operations", summary: "The alert rules", responses: [.ok(alertRules)])
    static let alertRulesPut = RouteDoc(
        tag: "operations", summary: "Replace the alert rules",
        body: .object(["rules": .array(.ref("AlertRule"), maxItems: 200)], required: ["rules"], closed: true), responses: [.ok(alertRules)])
    static let alerts = RouteDoc(
        tag: "operations", summary: "Alert states, recent transitions (newest first) and webhook deliveries",
        responses: [
            .ok(
                .object(
                    [
                        "alerts": .array(
                            .object(
                                ["rule": .string, "kind": .string, "severity": .string, "state": .string], required: ["rule", "kind", "severity", "state"])),
                        "recent": .array(.object(["rule": .string, "from": .string, "to": .string, "at": .dateTime], required: ["rule", "from", "to", "at"])),
                        "webhooks": .object(
                            ["delivered": .integer, "failed": .integer, "retries": .integer, "dropped": .integer, "queued": .integer, "lastError": .string],
                            required: ["delivered", "failed", "retries", "dropped", "queued"]),
                    ], required: ["alerts", "recent", "webhooks"]))
        ])
    static let usageCounters = Schema.object([
        "messages": .integer, "bytes": .integer, "subscriptions": .integer, "sessions": .integer, "connectSeconds": .number, "calls": .integer,
        "callsByStatus": .map(.integer), "meanLatencyMs": .number, "maxLatencyMs": .number, "lastSeen": .dateTime,
    ])
    static let usage = RouteDoc(
        tag: "operations", summary: "Usage by property, channel, route or user: totals, the top keys and a trend",
        query: [
            Parameter(name: "by", schema: .oneOf(["property", "channel", "route", "user"]), required: true, description: "The dimension"),
            Parameter(name: "window", schema: .oneOf(["1h", "24h", "7d", "30d"]), description: "Default 24h"),
            Parameter(name: "top", schema: .integer(1...1000), description: "Keys to list (default 10)"),
            Parameter(name: "role", schema: .string(pattern: "^[^,]{1,64}$"), description: "Only callers holding this role"),
            Parameter(name: "user", schema: .string(minLength: 1, maxLength: 256), description: "Only this user (not with by=property)"),
        ],
        responses: [
            .ok(
                .object(
                    [
                        "by": .string, "window": .string, "bucket": .string, "from": .dateTime, "to": .dateTime, "role": .string, "user": .string,
                        "keys": .integer, "totals": usageCounters,
                        "top": .array(
                            .object(["key": .string, "username": .string, "users": .integer, "counters": usageCounters], required: ["key", "counters"])),
                        "trend": .array(.object(["bucket": .dateTime, "counters": usageCounters], required: ["bucket", "counters"])),
                    ], required: ["by", "window", "bucket", "from", "to", "keys", "totals", "top", "trend"]))
        ], errors: [404: "No user by that name (`user`)"])
    static let audit = RouteDoc(
        tag: "operations", summary: "Who changed what, when: newest first, paged with `before`",
        query: [
            Parameter(name: "limit", schema: .integer(1...1000), description: "Entries (default 100)"),
            Parameter(name: "before", schema: .integer(0...Int.max), description: "Entries with an id below this (0: the newest)"),
        ],
        responses: [
            .ok(
                .object(
                    [
                        "entries": .array(
                            .object(
                                ["id": .integer, "at": .dateTime, "actor": .string, "action": .string, "target": .string, "detail": .any],
                                required: ["id", "at", "actor", "action", "target", "detail"]))
                    ], required: ["entries"]))
        ])
    static let openAPI = RouteDoc(
        tag: "operations", summary: "This description (OpenAPI 3.1)", responses: [.ok(Schema.anyObject.described("An OpenAPI 3.1 document"))])
}
