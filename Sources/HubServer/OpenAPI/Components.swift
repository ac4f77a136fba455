/// The shared schemas of the OpenAPI description (`#/components/schemas/…`): the objects the
/// REST API reads and writes, as docs/rest.md describes them.
enum Components {
    static let schemas: [String: Schema] = [
        "Error": .object(
            [
                "error": .object(
                    [
                        "code": Schema.string.described("Machine-readable: `invalid_body`, `not_found`, `forbidden`, …"),
                        "message": Schema.string.described("For people"),
                        "field": Schema.string.described("The offending part of the request (`roles[1]`, `strategies[0].parameters.rollout`)"),
                    ], required: ["code", "message"])
            ], required: ["error"]),
        "User": .object(
            [
                "id": .integer, "username": .string, "displayName": .string, "disabled": .boolean, "roles": .array(.string),
                "hasPassword": Schema.boolean.described("Whether password login is possible (bots may have API keys only)"),
                "createdAt": .dateTime, "updatedAt": .dateTime,
            ], required: ["id", "username", "disabled", "roles", "hasPassword", "createdAt", "updatedAt"]),
        "UserRecord": Schema.object(
            [
                "username": .string, "displayName": .string, "disabled": .boolean, "roles": .array(.string),
                "passwordHash": Schema.string.described("`pbkdf2-sha256$rounds$salt$hash`; never a password"),
            ], required: ["username"], closed: true
        ).described("A user as exported and imported (no API keys)"),
        "APIKey": .object(
            [
                "id": .string, "userId": .integer, "name": .string, "createdAt": .dateTime, "lastUsedAt": .dateTime, "revokedAt": .dateTime,
                "expiresAt": .dateTime,
            ], required: ["id", "userId", "name", "createdAt"]),
        "Role": .object(
            [
                "id": Schema.string(pattern: "^[a-z0-9_-]{1,32}$"), "description": .string(maxLength: 256), "grants": .ref("Grants"),
            ], required: ["id"], closed: true),
        "Grants": .object(
            [
                "channels": Schema.array(
                    .object(
                        ["allow": .string, "deny": .string, "flag": Schema.string.described("A feature flag the session needs for the rule to apply")],
                        closed: true)
                ).described("Allow and deny patterns (`ticker.*.*`); deny wins"),
                "tiers": .array(.oneOf(["public", "premium", "internal"])),
                "properties": .object(["allow": .array(.string), "deny": .array(.string)], closed: true),
                "scopes": Schema.array(.string).described("API scopes: `resource:read`, `resource:write` or `*`"),
                "publish": Schema.array(.string).described("Channel patterns the role may publish to (with `publish:write`)"),
            ], closed: true),
        "Feature": Schema.object(featureFields, required: ["name"]).described("A feature flag in Unleash's client-features format"),
        "FeatureUpdate": Schema.object(featureFields).described("A flag; `name`, if given, is the one in the path"),
        "Strategy": .object(
            [
                "name": .string, "parameters": .map(Schema(["type": .array(["string", "number", "integer"])])),
                "constraints": .array(.ref("Constraint")), "segments": .array(.integer), "variants": .array(.ref("Variant")),
            ], required: ["name"]),
        "Constraint": .object(
            [
                "contextName": .string, "operator": .string, "values": .array(Schema(["type": .array(["string", "number", "integer"])])),
                "value": Schema(["type": .array(["string", "number", "integer"])]), "inverted": .boolean, "caseInsensitive": .boolean,
            ], required: ["contextName", "operator"]),
        "Variant": .object(
            [
                "name": .string, "weight": .integer(0...1_000_000), "stickiness": .string,
                "payload": .object(["type": .string, "value": .string], required: ["type", "value"]),
                "overrides": .array(.object(["contextName": .string, "values": .array(.string)], required: ["contextName", "values"])),
            ], required: ["name"]),
        "Segment": .object(["id": .integer, "name": .string, "constraints": .array(.ref("Constraint"))], required: ["id"]),
        "FlagSet": Schema.object(
            ["version": .integer, "features": .array(.ref("Feature")), "segments": .array(.ref("Segment"))], required: ["features"]
        ).described("Unleash's client-features document"),
        "Property": .object(propertyFields, required: ["name", "type", "description", "tier"], closed: true),
        "PropertyUpdate": Schema.object(propertyFields, required: ["type", "description", "tier"], closed: true).described(
            "A definition; `name`, if given, is the one in the path"),
        "Mapping": .object(mappingFields, required: ["id", "kind", "members"], closed: true),
        "MappingUpdate": Schema.object(mappingFields, required: ["kind", "members"], closed: true).described(
            "A mapping; `id`, if given, is the one in the path"),
        "AlertRule": .object(
            [
                "name": .string, "kind": .oneOf(["stageLatency", "routeLatency", "errorRate", "rssGrowth", "sourceNotLive", "redisDown", "slowConsumers"]),
                "threshold": .number, "forSeconds": .number, "stage": .string, "route": .string, "source": .string, "severity": .string,
                "description": .string,
            ], required: ["name", "kind"], closed: true),
    ]

    static let featureFields: [String: Schema] = [
        "name": .string(minLength: 1, maxLength: 100), "description": .string, "enabled": .boolean,
        "strategies": .array(.ref("Strategy")), "variants": .array(.ref("Variant")),
        "dependencies": .array(.object(["feature": .string, "enabled": .boolean, "variants": .array(.string)], required: ["feature"])),
    ]

    static let propertyFields: [String: Schema] = [
        "name": .string, "type": .oneOf(["decimal", "integer", "string", "bool", "timestamp", "enum", "array"]), "unit": .string,
        "description": .string, "tier": .oneOf(["public", "premium", "internal"]), "sources": .array(.string),
        "rules": .object(
            ["min": .number, "max": .number, "values": .array(.string), "pattern": .string, "maxLength": .integer, "requiredIn": .array(.string)],
            closed: true),
        "flag": .string, "derivedFrom": .array(.string), "formula": .string, "formulaVersion": .integer,
    ]

    static let mappingFields: [String: Schema] = [
        "id": .string(minLength: 1, maxLength: 128), "kind": .oneOf(["crypto", "prediction", "event"]), "description": .string(maxLength: 1024),
        "members": .array(
            .object(
                ["venue": .string, "instrument": .string, "side": .oneOf(["yes", "no"]), "role": .oneOf(["reference", "perp"])],
                required: ["venue", "instrument"], closed: true)),
    ]
}
