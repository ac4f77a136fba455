import Foundation
import HubAuth

/// The OpenAPI 3.1 description of the hub's REST API, built from the router's table: each
/// route's method, path and access rule, and the `RouteDoc` it was added with. Served at
/// `/api/openapi.json`; `docs/openapi.json` is the same document (a test keeps them equal).
enum OpenAPIDocument {
    struct Route {
        let method: String
        let pattern: String
        let access: RouteAccess
        let doc: RouteDoc
    }

    /// The REST API's version: the minor number grows with additions, the major with breaks.
    static let apiVersion = "1.0.0"

    /// The implied errors, each a response of `components.responses` the operations refer to.
    static let errorNames: [Int: String] = [
        400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 413: "PayloadTooLarge", 500: "InternalError",
    ]

    static let errorStatuses: [Int: String] = [
        400: "The request is malformed: a body, query or path parameter that is not valid (`field` names it)",
        401: "No valid credentials (missing, expired or revoked token); `WWW-Authenticate: Bearer`",
        403: "The caller's roles do not grant what the route needs",
        404: "Nothing by that name or id",
        413: "The body is larger than the hub accepts",
        500: "An unexpected failure (details are logged, never returned)",
    ]

    /// The whole document, pretty-printed with sorted keys (stable for the committed copy).
    static func json(_ routes: [Route], version: String) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array((try? encoder.encode(document(routes, version: version))) ?? Data()) + [0x0A]
    }

    static func document(_ routes: [Route], version: String) -> JSONValue {
        var paths: [String: [String: JSONValue]] = [:]
        for r in routes { paths[openAPIPath(r.pattern), default: [:]][r.method.lowercased()] = operation(r) }
        let tags = Set(routes.map(\.doc.tag)).sorted().map { JSONValue.object(["name": .string($0)]) }
        return .object([
            "openapi": "3.1.0",
            "info": .object([
                "title": "StreamHub REST API",
                "version": .string(version),
                "description": .string(
                    "Control plane and state of a StreamHub market-data hub. Live data flows over the WebSocket at `/ws` (docs/protocol.md). "
                        + "Every route names the scope its caller needs (`x-streamhub-access`); errors are `{\"error\":{\"code\",\"message\",\"field\"}}`."),
                "license": .object(["name": "MIT", "identifier": "MIT"]),
            ]),
            "tags": .array(tags),
            "paths": .object(paths.mapValues { .object($0) }),
            "components": .object([
                "securitySchemes": .object([
                    "bearer": .object([
                        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                        "description": "An access token from `POST /api/auth/login`, `POST /api/auth/token` (API key) or a configured external issuer",
                    ])
                ]),
                "schemas": .object(Components.schemas.mapValues { .object($0.json) }),
                "responses": .object(
                    Dictionary(uniqueKeysWithValues: errorNames.map { status, name in (name, errorResponse(errorStatuses[status]!)) })),
            ]),
        ])
    }

    /// `/api/users/:id` → `/api/users/{id}`; `*channel` (the rest of the path) → `{channel}`.
    static func openAPIPath(_ pattern: String) -> String {
        pattern.split(separator: "/").map { s in s.hasPrefix(":") || s.hasPrefix("*") ? "{\(s.dropFirst())}" : String(s) }.reduce("") { $0 + "/" + $1 }
    }

    static func parameterNames(_ pattern: String) -> [String] {
        pattern.split(separator: "/").filter { $0.hasPrefix(":") || $0.hasPrefix("*") }.map { String($0.dropFirst()) }
    }

    private static func operation(_ r: Route) -> JSONValue {
        let doc = r.doc
        var op: [String: JSONValue] = [
            "operationId": .string(operationID(r.method, r.pattern)),
            "summary": .string(doc.summary),
            "tags": .array([.string(doc.tag)]),
            "x-streamhub-access": .string(r.access.name),
        ]
        if let d = doc.description { op["description"] = .string(d) }
        switch r.access {
        case .open: op["security"] = .array([])
        case .openIdentified: op["security"] = .array([.object([:]), .object(["bearer": .array([])])])
        case .authenticated, .anyCaller: op["security"] = .array([.object(["bearer": .array([])])])
        case .scope(let s): op["security"] = .array([.object(["bearer": .array([.string(s)])])])
        }
        let pathParameters = parameterNames(r.pattern)
        var parameters: [JSONValue] = pathParameters.map { name in
            .object([
                "name": .string(name), "in": "path", "required": .bool(true),
                "schema": .object((doc.path[name] ?? .string(minLength: 1)).json),
            ])
        }
        parameters += doc.query.map { p in
            .object([
                "name": .string(p.name), "in": "query", "required": .bool(p.required), "description": .string(p.description), "schema": .object(p.schema.json),
            ])
        }
        if !parameters.isEmpty { op["parameters"] = .array(parameters) }
        if let body = doc.body {
            op["requestBody"] = .object([
                "required": .bool(!doc.bodyOptional), "content": .object(["application/json": .object(["schema": .object(body.json)])]),
            ])
        }
        var responses: [String: JSONValue] = [:]
        for response in doc.responses {
            var entry: [String: JSONValue] = ["description": .string(response.description)]
            if !response.content.isEmpty {
                entry["content"] = .object(response.content.mapValues { .object(["schema": .object($0.json)]) })
            }
            responses["\(response.status)"] = .object(entry)
        }
        var errors = doc.errors
        errors[500] = errors[500] ?? errorStatuses[500]
        if doc.body != nil || !doc.query.isEmpty || !pathParameters.isEmpty { errors[400] = errors[400] ?? errorStatuses[400] }
        if doc.body != nil { errors[413] = errors[413] ?? errorStatuses[413] }
        if !pathParameters.isEmpty { errors[404] = errors[404] ?? errorStatuses[404] }
        switch r.access {
        case .open: break
        case .openIdentified, .anyCaller: errors[401] = errors[401] ?? errorStatuses[401]
        case .authenticated, .scope:
            errors[401] = errors[401] ?? errorStatuses[401]
            errors[403] = errors[403] ?? errorStatuses[403]
        }
        for (status, text) in errors {
            let shared = errorNames[status].flatMap { text == errorStatuses[status] ? $0 : nil }
            responses["\(status)"] = shared.map { .object(["$ref": .string("#/components/responses/\($0)")]) } ?? errorResponse(text)
        }
        op["responses"] = .object(responses)
        return .object(op)
    }

    private static func errorResponse(_ description: String) -> JSONValue {
        .object([
            "description": .string(description),
            "content": .object(["application/json": .object(["schema": .object(Schema.ref("Error").json)])]),
        ])
    }

    /// `GET /api/users/:id/keys` → `getApiUsersIdKeys`.
    static func operationID(_ method: String, _ pattern: String) -> String {
        let words =
            [method.lowercased()] + pattern.split(whereSeparator: { "/-.".contains($0) }).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ":*")) }
        return words.enumerated().map { $0.offset == 0 ? $0.element : $0.element.prefix(1).uppercased() + $0.element.dropFirst() }.joined()
    }
}
