/// Identity settings: the hub's own tokens, external issuers, passwords, anonymous access.
public struct AuthConfig: Sendable, Equatable {
    /// HS256 secret of the hub's own tokens (≥ 32 bytes; from the environment in config).
    public var jwtSecret: String
    /// `iss` of the hub's own tokens.
    public var issuer = "streamhub"
    /// `kid` of the hub's own key.
    public var keyID = "streamhub"
    /// Lifetime of access tokens, seconds.
    public var accessTokenSeconds = 900.0
    /// Lifetime of refresh tokens, seconds.
    public var refreshTokenSeconds = 30.0 * 86_400
    /// Clock skew tolerated on `exp` and `nbf`, seconds.
    public var leewaySeconds = 30.0
    /// Externally issued tokens (RS256, ES256, EdDSA) accepted from these issuers.
    public var external: [ExternalIssuer] = []
    public var passwordRounds = Passwords.defaultRounds
    /// Connections and requests without a token get the `anonymous` role.
    public var allowAnonymous = false
    /// Seconds before expiry a WebSocket session is told to refresh.
    public var expiryWarningSeconds = 60.0
    /// Seconds a WebSocket connection without a token has to send `auth`.
    public var authDeadlineSeconds = 10.0

    public struct ExternalIssuer: Sendable, Equatable {
        public var issuer: String
        /// The `aud` value this hub accepts.
        public var audience: String
        /// The issuer's public keys (a JWKS document), each with `kid` and `alg`.
        public var jwks: String
        /// Where the token lists roles: a claim name or a dotted path (`realm_access.roles`).
        public var rolesClaim = "roles"
        /// Provider role → hub role; when empty, role names are taken as they are.
        public var roleMap: [String: String] = [:]

        public init(issuer: String, audience: String, jwks: String, rolesClaim: String = "roles", roleMap: [String: String] = [:]) {
            self.issuer = issuer
            self.audience = audience
            self.jwks = jwks
            self.rolesClaim = rolesClaim
            self.roleMap = roleMap
        }
    }

    public init(jwtSecret: String) {
        self.jwtSecret = jwtSecret
    }
}
