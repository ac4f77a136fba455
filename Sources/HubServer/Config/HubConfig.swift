import HubAuth
import HubCore

/// The hub's configuration, read from YAML (`config/streamhub.yaml`). Every key is optional;
/// absent keys take the defaults below. Secrets come from the environment through `${VAR}`.
public struct HubConfig: Sendable, Equatable {
    public var server = Server()
    public var serve = ServeConfig()
    public var feeds = Feeds()
    public var properties = Properties()
    public var redis = Redis()
    /// Several nodes over Redis (docs/guides/cluster.md).
    public var cluster = Cluster()
    /// The control-plane store: SQLite in `server.dataDir`, or PostgreSQL for a cluster.
    public var store = Store()
    public var auth = Auth()
    public var flags = Flags()
    public var mappings = Mappings()
    /// Derived properties and cross-venue results (docs/guides/enrichment.md).
    public var enrichment = EnrichmentConfig()
    /// `/metrics` access and labels (docs/guides/observability.md).
    public var metrics = Metrics()
    /// Usage analytics roll-ups and retention.
    public var usage = Usage()
    /// Alert rules, their evaluation and webhooks.
    public var alerts = Alerts()
    /// The publish API's limits.
    public var publish = Publish()
    /// Phased rollout: RBAC and validation enforced or audit-only.
    public var rollout = Rollout()

    public init() {}

    /// Feature flags: the defaults loaded on first start, and the evaluation context.
    public struct Mappings: Sendable, Equatable {
        /// Instrument and event mappings loaded into the store on first start.
        public var seedFile = "config/mappings.yaml"
        public init() {}
    }

    public struct Flags: Sendable, Equatable {
        /// Unleash client-features YAML, loaded into the store when it has no flags.
        public var seedFile = "config/flags.yaml"
        /// The `environment` field of every session's evaluation context.
        public var environment = "production"
        /// The `appName` field.
        public var appName = "streamhub"
        public init() {}
    }

    /// Identity: the hub's token secret, external issuers, anonymous access, login limits.
    public struct Auth: Sendable, Equatable {
        /// HS256 secret of the hub's own tokens, at least 32 bytes (`${STREAMHUB_JWT_SECRET}`).
        public var jwtSecret = ""
        /// Connections and requests without a token get the `anonymous` role.
        public var anonymous = false
        public var accessTokenSeconds = 900.0
        public var refreshTokenSeconds = 30.0 * 86_400
        /// Clock skew tolerated on `exp` and `nbf`.
        public var leewaySeconds = 30.0
        /// PBKDF2-HMAC-SHA256 iterations for new password hashes.
        public var passwordRounds = Passwords.defaultRounds
        /// An `expiring` push goes out this long before a session's token expires.
        public var expiryWarningSeconds = 60.0
        /// A WebSocket without a token must send `auth` within this time.
        public var authDeadlineSeconds = 10.0
        /// An anonymous WebSocket that holds no subscription and sends nothing for this long is
        /// closed (4002); 0 keeps it.
        public var anonymousIdleSeconds = 300.0
        /// Default roles, loaded into the store on first start.
        public var rolesFile = "config/roles.yaml"
        /// The first admin's API key (`shk_<id>_<secret>`); empty: one is generated and printed.
        public var bootstrapAdminKey = ""
        /// Failed logins allowed per username, and per client address, within the window.
        public var loginMaxFailures = 5
        public var loginMaxFailuresPerAddress = 20
        public var loginWindowSeconds = 300.0
        /// API keys expire after this many days unless the request asks for fewer (or more, up
        /// to `apiKeyMaxDays`). The bootstrap admin key, managed in the config, never expires.
        public var apiKeyDays = 90.0
        public var apiKeyMaxDays = 365.0
        /// Keys a user may hold at once (not revoked, not expired).
        public var maxAPIKeysPerUser = 20
        /// How long a one-time setup code of an imported user (`setPasswordOnFirstLogin`) lasts.
        public var passwordSetupDays = 7.0
        public var issuers: [Issuer] = []
        public init() {}

        /// An external identity provider whose tokens (RS256, ES256, EdDSA) are accepted.
        public struct Issuer: Sendable, Equatable {
            public var issuer = ""
            public var audience = ""
            /// A JWKS document with the provider's public keys (each with `kid` and `alg`), read at
            /// start — or `jwksURL`, fetched and refreshed (exactly one of the two).
            public var jwksFile = ""
            /// Where the provider publishes its JWKS (`https://`; `http://` only on loopback).
            public var jwksURL = ""
            /// PEM CAs to trust for `jwksURL` besides the system's (a private provider).
            public var jwksCAFile = ""
            /// Fetched again this often…
            public var jwksRefreshSeconds = 3600.0
            /// …and when a token names an unknown `kid`, at most this often.
            public var jwksMinRefreshSeconds = 30.0
            /// Where its tokens list roles: a claim name or a dotted path (`realm_access.roles`).
            public var rolesClaim = "roles"
            /// Provider role → hub role; when empty, role names are taken as they are.
            public var roleMap: [String: String] = [:]
            public init() {}
        }
    }

    public struct Server: Sendable, Equatable {
        /// Loopback by default: exposing the hub is a deliberate choice.
        public var host = "127.0.0.1"
        public var port = 8080
        /// The control-plane SQLite file (unless `store.postgres`), recordings and other files.
        public var dataDir = "data/"
        /// Static files served at `/` (the dashboard); nil or missing directory serves none.
        public var publicDir: String? = "public"
        /// Chart.js served at `/vendor/chart.js/` beside the dashboard (Debian's libjs-chart.js).
        public var chartJsDir: String? = "/usr/share/javascript/chart.js"
        /// Offer permessage-deflate to clients that ask for it.
        public var permessageDeflate = true
        /// The compressor of each deflate connection: window 2^bits (9–15), zlib memory level
        /// (1–9); about 2^(bits+2) + 2^(level+9) bytes per connection once it has written.
        public var deflateWindowBits = 12
        public var deflateMemoryLevel = 4
        /// The event loop under every socket: `libuv` (epoll, through the Debian package
        /// libwebsockets-evlib-uv; the hub falls back to poll, with a warning, when it cannot
        /// load) or `poll` (lws' own loop: a pass over every descriptor per iteration).
        public var eventLoop = "libuv"
        /// File descriptors for connections.
        public var maxConnections = 70_000
        /// WebSocket connections one client address may hold at once (0: no limit); beyond,
        /// the upgrade is refused with 429.
        public var maxConnectionsPerAddress = 1000
        /// Seconds to wait for clients to take their close frames on shutdown.
        public var shutdownGraceSeconds = 2.0
        /// TLS on the hub's own port (`https://`, `wss://`); nil: plain HTTP.
        public var tls: TLS?

        /// PEM files: the certificate (chain) and its key; `clientCAFile` requires client
        /// certificates signed by those CAs (mutual TLS).
        public struct TLS: Sendable, Equatable {
            public var certFile = ""
            public var keyFile = ""
            public var clientCAFile: String?
            public init() {}
        }
        public init() {}
    }

    /// Redis for latest state and channel history (unset: memory only, the embedded default).
    public struct Redis: Sendable, Equatable {
        /// `redis://[:password@]host[:port][/db]`; empty disables Redis.
        public var url = ""
        public var keyPrefix = "streamhub"
        /// Entries kept per channel history stream.
        public var historyLength = 10_000
        /// History entries queued while Redis is slow or down before the oldest are dropped.
        public var maxPendingHistory = 100_000
        public var timeoutSeconds = 2.0
        public init() {}
    }

    public struct Properties: Sendable, Equatable {
        /// Property definitions loaded into the store on first start (an empty property table);
        /// the store is the source of truth afterwards.
        public var seedDirectory = "config/properties"
        public init() {}
    }

    /// Upstream sources: every venue's `feeds.<id>` section, the synthetic load source, limits.
    public struct Feeds: Sendable, Equatable {
        /// The venues' sections (each venue's settings type decodes and validates its own).
        public var venues = VenueSections()
        public var synthetic = Synthetic()
        /// Largest frame accepted from a venue; a larger one is counted (decodeErrors) and the
        /// connection renewed, since the frame's data is lost.
        public var maxFrameBytes = 64 << 20
        public init() {}
    }

    /// A generated ticker source at a fixed rate: for benchmarks and load tests.
    public struct Synthetic: Sendable, Equatable {
        public var enabled = false
        /// Ticks per second across all channels.
        public var rate = 1000.0
        /// Instruments (channels `ticker.synthetic.S0`, `S1`, …).
        public var channels = 1
        /// Ticks with sizes and a last price too (nine properties instead of five).
        public var wide = false
        public init() {}
    }
}
