/// Descriptions of the import and export routes (docs/rest.md §Import and export).
extension RouteDoc {
    static let transferReport = Schema.object(
        [
            "kind": .string, "format": .string, "dryRun": .boolean, "written": .boolean,
            "summary": .object(["create": .integer, "update": .integer, "unchanged": .integer], required: ["create", "update", "unchanged"]),
            "changes": .array(
                .object(
                    [
                        "at": Schema.string.described("`users[3]`, `line 5` (CSV), `features[0]`, `segments[1]`"), "key": .string,
                        "action": .oneOf(["create", "update", "unchanged"]), "fields": .array(.string),
                        "diff": .array(
                            .object(
                                ["field": .string, "before": Schema.string.described("JSON"), "after": Schema.string.described("JSON")],
                                required: ["field", "before", "after"])),
                    ], required: ["at", "key", "action"])),
            "problems": .array(.object(["at": .string, "field": .string, "message": .string], required: ["at", "field", "message"])),
        ], required: ["kind", "format", "dryRun", "written", "summary", "changes", "problems"])

    /// Flags in the admin format are of one Unleash environment.
    static func environment(_ kind: TransferKind) -> [Parameter] {
        kind == .flags ? [Parameter(name: "environment", schema: .string, description: "The environment of an admin export (default flags.environment)")] : []
    }

    static func export(_ kind: TransferKind) -> RouteDoc {
        let body: [String: Schema] = [
            "application/json": kind == .flags
                ? Schema.anyObject.described("client: a client-features document; admin: Unleash's features-batch export")
                : .object([kind.rawValue: .array(.ref(kind == .users ? "UserRecord" : kind == .roles ? "Role" : "Property"))], required: [kind.rawValue])
        ]
        return RouteDoc(
            tag: "transfer",
            summary: "Export every \(kind == .flags ? "flag" : String(kind.rawValue.dropLast())) (\(kind.formats.map(\.rawValue).joined(separator: " or ")))",
            query: [
                Parameter(
                    name: "format", schema: .oneOf(kind.formats.map(\.rawValue) + (kind == .flags ? ["json"] : [])),
                    description: "Default \(kind.formats[0].rawValue)")
            ]
                + environment(kind),
            responses: [
                RouteDoc.Response(
                    status: 200, description: "The records", content: kind.formats.contains(.csv) ? body.merging(["text/csv": .string]) { a, _ in a } : body)
            ])
    }

    static func `import`(_ kind: TransferKind) -> RouteDoc {
        RouteDoc(
            tag: "transfer", summary: "Import \(kind.rawValue): upsert every record in one transaction, or nothing",
            description:
                "Every record is checked first; any problem (named by record and field) writes nothing. `dryRun=true` reports the changes without writing.",
            query: [
                Parameter(
                    name: "format", schema: .oneOf(kind.formats.map(\.rawValue) + (kind == .flags ? ["json"] : [])),
                    description: "Default \(kind.formats[0].rawValue)"),
                Parameter(name: "dryRun", schema: .oneOf(["true", "false"]), description: "Check and report without writing"),
            ] + environment(kind),
            body: Schema(kind == .flags ? ["type": "object"] : ["type": .array(["object", "array"])]).described(
                "The file: what the export of this kind gives (a bare array of records too; a CSV body with format=csv)"),
            responses: [.ok(transferReport)],
            errors: [
                422: "Records that cannot be imported (`report.problems` names each); nothing was written",
                403: "The import would grant rights the caller does not hold",
            ])
    }
}
