/// Descriptions of `/api/auth…`, `/api/users…` and `/api/roles…` (docs/rest.md §Auth, §Users, §Roles).
extension RouteDoc {
    static let tokens = Schema.object(
        [
            "accessToken": .string, "tokenType": .oneOf(["Bearer"]), "expiresIn": Schema.integer.described("Seconds"), "expiresAt": .dateTime,
            "refreshToken": Schema.string.described("Only from login and refresh; rotates on every refresh"), "user": .ref("User"),
        ], required: ["accessToken", "tokenType", "expiresIn", "expiresAt", "user"])
    static let signInErrors: [Int: String] = [
        401: "Unknown, wrong, expired or revoked credentials", 403: "The account is disabled",
        429: "Too many attempts from this address or for this account; `Retry-After` says when to retry",
    ]

    static let authToken = RouteDoc(
        tag: "auth", summary: "Exchange an API key for an access token",
        body: .object(["apiKey": .string(pattern: "^shk_")], required: ["apiKey"], closed: true), responses: [.ok(tokens)], errors: signInErrors)
    static let authLogin = RouteDoc(
        tag: "auth", summary: "Sign in with username and password: an access and a refresh token",
        body: .object(
            ["username": .string(minLength: 1, maxLength: 64), "password": .string(maxLength: 1024)], required: ["username", "password"], closed: true),
        responses: [.ok(tokens)], errors: signInErrors.merging([503: "Too many sign-ins in progress; retry shortly"]) { a, _ in a })
    static let authRefresh = RouteDoc(
        tag: "auth", summary: "Exchange a refresh token for new tokens (the old refresh token stops working)",
        body: .object(["refreshToken": .string], required: ["refreshToken"], closed: true), responses: [.ok(tokens)], errors: signInErrors)
    static let authSetup = RouteDoc(
        tag: "auth", summary: "Set the first password of an imported user with its one-time setup code; answers as a login",
        body: .object(
            ["username": .string(minLength: 1, maxLength: 64), "code": .string, "password": .string(minLength: 12, maxLength: 1024)],
            required: ["username", "code", "password"], closed: true),
        responses: [.ok(tokens)],
        errors: signInErrors.merging([
            401: "Unknown, used or expired setup code", 422: "A password shorter than 12 characters", 503: "Too many sign-ins in progress; retry shortly",
        ]) { _, b in b })
    static let authMe = RouteDoc(
        tag: "auth", summary: "Who the caller is: subject, issuer, roles and scopes",
        responses: [
            .ok(
                .object(
                    ["subject": .string, "issuer": .string, "roles": .array(.string), "scopes": .array(.string), "expiresAt": .dateTime],
                    required: ["subject", "issuer", "roles", "scopes"]))
        ])

    static let userID = Schema.integer(1...Int(Int64.max))
    static let oneUser = Schema.object(["user": .ref("User")], required: ["user"])
    static let password = Schema.string(minLength: 12, maxLength: 1024)

    static let usersCreate = RouteDoc(
        tag: "users", summary: "Create a user (without a password the account signs in with API keys only)",
        body: .object(
            [
                "username": .string(pattern: "^[A-Za-z0-9._@-]{1,64}$"), "password": password, "displayName": .string(maxLength: 128),
                "roles": .array(.string),
            ], required: ["username"], closed: true),
        responses: [.created(oneUser)],
        errors: [409: "The username is taken", 422: "An unknown role, or a password shorter than 12 characters", 403: "A role grants more than the caller has"])
    static let usersList = RouteDoc(
        tag: "users", summary: "List users, paged",
        query: [
            Parameter(name: "limit", schema: .integer(1...500), description: "Page size (default 50)"),
            Parameter(name: "offset", schema: .integer(0...Int(Int32.max)), description: "Users to skip (default 0)"),
        ],
        responses: [
            .ok(
                .object(
                    ["users": .array(.ref("User")), "total": .integer, "limit": .integer, "offset": .integer], required: ["users", "total", "limit", "offset"]))
        ])
    static let usersDetail = RouteDoc(
        tag: "users", summary: "A user and its API keys (your own, or anyone's with `users:read`)", path: ["id": userID],
        responses: [.ok(.object(["user": .ref("User"), "apiKeys": .array(.ref("APIKey"))], required: ["user", "apiKeys"]))])
    static let usersUpdate = RouteDoc(
        tag: "users", summary: "Change a user's password, display name or disabled state", path: ["id": userID],
        body: .object(
            ["password": password, "displayName": Schema.string(maxLength: 128).described("`null` clears it"), "disabled": .boolean], closed: true),
        responses: [.ok(oneUser)], errors: [422: "You cannot disable your own account; a password shorter than 12 characters"])
    static let usersAssignRole = RouteDoc(
        tag: "users", summary: "Give a user a role", path: ["id": userID], body: .object(["role": .string], required: ["role"], closed: true),
        responses: [.ok(oneUser)], errors: [422: "No such role", 409: "The user has the role already"])
    static let usersRemoveRole = RouteDoc(
        tag: "users", summary: "Take a role from a user", path: ["id": userID], responses: [.ok(oneUser)],
        errors: [422: "The change is refused (the last administrator, say)"])
    static let usersCreateKey = RouteDoc(
        tag: "users", summary: "Create an API key for a user (your own, or anyone's with `users:write`); the key is shown once",
        path: ["id": userID],
        body: .object(
            ["name": .string(minLength: 1, maxLength: 64), "expiresInDays": Schema.number(minimum: 0).described("Default auth.apiKeyDays")], closed: true),
        bodyOptional: true,
        responses: [.created(.object(["key": .string, "apiKey": .ref("APIKey")], required: ["key", "apiKey"]))],
        errors: [422: "The user has the most keys allowed (auth.maxAPIKeysPerUser)"])
    static let usersRevokeKey = RouteDoc(
        tag: "users", summary: "Revoke an API key (your own, or anyone's with `users:write`)", path: ["id": userID], responses: [.noContent])

    static let roleID = Schema.string(pattern: "^[a-z0-9_-]{1,32}$")
    static let oneRole = Schema.object(["role": .ref("Role")], required: ["role"])

    static let rolesList = RouteDoc(
        tag: "roles", summary: "Every role, and the scopes routes need",
        responses: [.ok(.object(["roles": .array(.ref("Role")), "count": .integer, "scopes": .array(.string)], required: ["roles", "count", "scopes"]))])
    static let rolesDetail = RouteDoc(tag: "roles", summary: "One role", path: ["id": roleID], responses: [.ok(oneRole)])
    static let rolesCreate = RouteDoc(
        tag: "roles", summary: "Create a role", body: .ref("Role"), responses: [.created(oneRole)],
        errors: [409: "A role with that id exists", 403: "The role grants more than the caller has"])
    static let rolesUpdate = RouteDoc(
        tag: "roles", summary: "Replace a role's description and grants (live sessions holding it follow at once)", path: ["id": roleID],
        body: .object(["id": roleID, "description": .string(maxLength: 256), "grants": .ref("Grants")], closed: true), responses: [.ok(oneRole)],
        errors: [403: "The change grants more than the caller has"])
    static let rolesDelete = RouteDoc(
        tag: "roles", summary: "Delete a role no user holds", path: ["id": roleID], responses: [.noContent],
        errors: [409: "Users still hold the role", 422: "A built-in role"])
}
