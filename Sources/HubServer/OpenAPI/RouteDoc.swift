/// What the OpenAPI description says about one route beyond its method, path and access
/// (which the router knows): every route is added with one, so none exists undescribed.
/// The usual errors are implied: 400 when the route takes a body, query or path parameters,
/// 401/403 from its access rule, 404 with path parameters, 413 with a body, 500 always.
struct RouteDoc: Sendable {
    struct Parameter: Sendable {
        let name: String
        let schema: Schema
        var required = false
        let description: String
    }

    struct Response: Sendable {
        let status: Int
        let description: String
        /// Media type → schema of the body; empty for no body (204).
        var content: [String: Schema] = [:]

        static func ok(_ schema: Schema, _ description: String = "OK") -> Response {
            Response(status: 200, description: description, content: ["application/json": schema])
        }
        static func created(_ schema: Schema, _ description: String = "Created") -> Response {
            Response(status: 201, description: description, content: ["application/json": schema])
        }
        static let noContent = Response(status: 204, description: "Done; no body")
    }

    let tag: String
    let summary: String
    var description: String?
    var query: [Parameter] = []
    /// Schemas of path parameters (`:id` of users is an integer); a non-empty string otherwise.
    var path: [String: Schema] = [:]
    /// The JSON request body, if the route takes one.
    var body: Schema?
    /// Whether the body may be left out (`POST /api/users/:id/keys`).
    var bodyOptional = false
    let responses: [Response]
    /// Error statuses beyond the implied ones, with what they mean.
    var errors: [Int: String] = [:]
}
