/// Descriptions of `/api/features…`, `/api/properties…` and `/api/mappings…` (docs/rest.md
/// §Features, §Properties, §Mappings).
extension RouteDoc {
    static let oneFeature = Schema.object(["feature": .ref("Feature")], required: ["feature"])
    static let flagFieldError = "A flag that does not hold (`field` names it: `strategies[0].parameters.rollout`, …)"

    static let featuresList = RouteDoc(
        tag: "features", summary: "Every feature flag and segment",
        responses: [
            .ok(
                .object(
                    ["features": .array(.ref("Feature")), "segments": .array(.ref("Segment")), "count": .integer], required: ["features", "segments", "count"]))
        ])
    static let featuresCreate = RouteDoc(
        tag: "features", summary: "Create a flag", body: .ref("Feature"), responses: [.created(oneFeature)],
        errors: [400: flagFieldError, 409: "A flag with that name exists"])
    static let featuresDetail = RouteDoc(tag: "features", summary: "One flag", responses: [.ok(oneFeature)])
    static let featuresUpdate = RouteDoc(
        tag: "features", summary: "Replace a flag (sessions are evaluated again before the answer)", body: .ref("FeatureUpdate"),
        responses: [.ok(oneFeature)], errors: [400: flagFieldError])
    static let featuresDelete = RouteDoc(
        tag: "features", summary: "Delete a flag no property or role rule needs", responses: [.noContent],
        errors: [409: "A property or a role's channel rule needs the flag"])
    static let featuresEvaluate = RouteDoc(
        tag: "features", summary: "Evaluate a flag: for any context with `features:read`, else for the caller itself (no parameters)",
        description: "Context fields are query parameters; `properties.<name>=value` sets custom context properties.",
        query: ["userId", "sessionId", "remoteAddress", "environment", "appName"].map { Parameter(name: $0, schema: .string, description: "Context field") }
            + [Parameter(name: "roles", schema: .string, description: "Comma-separated roles")],
        responses: [
            .ok(
                .object(
                    [
                        "feature": .string, "enabled": .boolean,
                        "variant": .object(
                            ["name": .string, "enabled": .boolean, "featureEnabled": .boolean, "payload": .object(["type": .string, "value": .string])],
                            required: ["name", "enabled"]),
                        "context": .object(
                            [
                                "userId": .string, "sessionId": .string, "remoteAddress": .string, "environment": .string, "appName": .string,
                                "roles": .array(.string), "properties": .map(.string),
                            ], required: ["roles", "properties"]),
                    ], required: ["feature", "enabled", "variant", "context"]))
        ], errors: [403: "Asking about another context without `features:read`"])

    static let propertyDetail = Schema.object(
        [
            "property": .ref("Property"),
            "lineage": .object(
                ["upstream": .array(.string), "downstream": .array(.string), "formula": .string, "formulaVersion": .integer],
                required: ["upstream", "downstream"]),
        ], required: ["property", "lineage"])
    static let quarantineFields: [String: Schema] = [
        "total": .integer, "bySource": .map(.map(.integer)),
        "recent": .array(
            .object(
                [
                    "source": .string, "instrument": .string, "stream": .string, "property": .string, "venueField": .string, "reason": .string,
                    "receiveTime": .integer,
                ], required: ["source", "property", "reason"])),
    ]

    static let propertiesList = RouteDoc(
        tag: "properties", summary: "The properties the caller may receive (writers see all)",
        responses: [.ok(.object(["properties": .array(.ref("Property")), "count": .integer], required: ["properties", "count"]))])
    static let propertiesMatrix = RouteDoc(
        tag: "properties", summary: "Which source provides which property, as JSON or CSV",
        query: [Parameter(name: "format", schema: .oneOf(["json", "csv"]), description: "Default json")],
        responses: [
            RouteDoc.Response(
                status: 200, description: "The matrix",
                content: [
                    "application/json": .object(
                        [
                            "sources": .array(.string), "properties": .array(.string),
                            "cells": .array(.object(["source": .string, "property": .string, "type": .string], required: ["source", "property", "type"])),
                        ], required: ["sources", "properties", "cells"]),
                    "text/csv": Schema.string.described("`source,property,type` rows"),
                ])
        ])
    static let propertiesQuarantine = RouteDoc(
        tag: "properties", summary: "Values refused by validation, by source and property (and audited ones under rollout.enforceValidation)",
        responses: [
            .ok(
                .object(
                    quarantineFields.merging(["audited": .object(quarantineFields, required: ["total", "bySource", "recent"])]) { a, _ in a },
                    required: ["total", "bySource", "recent", "audited"]))
        ])
    static let propertiesDetail = RouteDoc(tag: "properties", summary: "One property and its lineage", responses: [.ok(propertyDetail)])
    static let propertiesCreate = RouteDoc(
        tag: "properties", summary: "Register a property (transformation and projections use it at once)", body: .ref("Property"),
        responses: [.created(propertyDetail)], errors: [409: "A property with that name exists"])
    static let propertiesUpdate = RouteDoc(
        tag: "properties", summary: "Replace a property's definition", body: .ref("PropertyUpdate"), responses: [.ok(propertyDetail)],
        errors: [409: "The change conflicts with other definitions", 422: "The store refused the change"])

    static let mappingID = Schema.string(minLength: 1, maxLength: 128)
    static let oneMapping = Schema.object(["mapping": .ref("Mapping")], required: ["mapping"])

    static let mappingsList = RouteDoc(
        tag: "mappings", summary: "Every instrument and event mapping",
        responses: [.ok(.object(["mappings": .array(.ref("Mapping")), "count": .integer], required: ["mappings", "count"]))])
    static let mappingsDetail = RouteDoc(tag: "mappings", summary: "One mapping", path: ["id": mappingID], responses: [.ok(oneMapping)])
    static let mappingsCreate = RouteDoc(
        tag: "mappings", summary: "Create a mapping (enrichment uses it at once)", body: .ref("Mapping"), responses: [.created(oneMapping)],
        errors: [409: "A mapping with that id exists"])
    static let mappingsUpdate = RouteDoc(
        tag: "mappings", summary: "Replace a mapping (opportunities it no longer supports are retracted)", path: ["id": mappingID],
        body: .ref("MappingUpdate"), responses: [.ok(oneMapping)])
    static let mappingsDelete = RouteDoc(tag: "mappings", summary: "Delete a mapping", path: ["id": mappingID], responses: [.noContent])
}
