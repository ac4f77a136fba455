import HubCore
import HubServer
import HubTesting
import Venues
import XCTest

final class ConfigLoaderTests: XCTestCase {
    /// The one key every configuration needs.
    private static let auth = "auth:\n  jwtSecret: \(TestHub.jwtSecret)\n"

    /// Parses `yaml` with the secret added (unless it has an `auth` section of its own).
    private func parse(_ yaml: String, environment: [String: String] = [:]) throws -> HubConfig {
        try ConfigLoader.parse(yaml.contains("auth:") || yaml.hasPrefix("-") ? yaml : Self.auth + yaml, venues: VenueRegistry.all, environment: environment)
    }

    private func error(_ yaml: String, env: [String: String] = [:]) -> String? {
        do {
            _ = try parse(yaml, environment: env)
            return nil
        } catch {
            return "\(error)"
        }
    }

    func testEmptyFileMeansDefaultsExceptTheSecret() throws {
        var defaults = HubConfig()
        defaults.auth.jwtSecret = TestHub.jwtSecret
        XCTAssertEqual(try parse(""), defaults)
        XCTAssertEqual(try parse("server: {}\n"), defaults)
        // Only the commands that sign or verify need the secret.
        XCTAssertEqual(try ConfigLoader.parse("", venues: VenueRegistry.all), HubConfig())
        XCTAssertThrowsError(try ConfigLoader.requireSecret(try ConfigLoader.parse("", venues: VenueRegistry.all))) {
            XCTAssertEqual("\($0)", "auth.jwtSecret: must be at least 32 bytes (set STREAMHUB_JWT_SECRET; scripts/run generates one)")
        }
        XCTAssertNoThrow(try ConfigLoader.requireSecret(try parse("")))
    }

    func testAuthSectionIsCheckedAndReadsTheEnvironment() throws {
        let c = try ConfigLoader.parse(
            """
            auth:
              jwtSecret: ${S}
              anonymous: true
              accessTokenSeconds: 300
              bootstrapAdminKey: ${K:-}
              issuers:
                - {issuer: "https://idp.example", audience: hub, jwksFile: /tmp/jwks.json, rolesClaim: realm_access.roles, roleMap: {desk: trader}}
            """, venues: VenueRegistry.all, environment: ["S": String(repeating: "s", count: 32)])
        XCTAssertTrue(c.auth.anonymous)
        XCTAssertEqual(c.auth.accessTokenSeconds, 300)
        XCTAssertEqual(c.auth.issuers.first?.roleMap, ["desk": "trader"])
        XCTAssertEqual(c.auth.issuers.first?.rolesClaim, "realm_access.roles")
        XCTAssertEqual(
            error(Self.auth + "  issuers: [{issuer: streamhub, audience: a, jwksFile: f}]\n"), "auth.issuers[0].issuer: 'streamhub' is the hub's own issuer")
        XCTAssertEqual(error(Self.auth + "  loginMaxFailuresPerAddress: 0\n"), "auth.loginMaxFailuresPerAddress: must be at least 1")
        XCTAssertEqual(error("auth:\n  jwtSecret: ${NOPE}\n"), "auth.jwtSecret: environment variable NOPE is not set")
        XCTAssertEqual(error(Self.auth + "  passwordRounds: 5\n"), "auth.passwordRounds: must be between 10000 and 10000000")
        XCTAssertEqual(
            error(Self.auth + "  bootstrapAdminKey: admin\n"), "auth.bootstrapAdminKey: must look like shk_<id>_<secret> (secret of 16 to 128 characters)")
        XCTAssertEqual(error(Self.auth + "  issuers: [{issuer: x, audience: '', jwksFile: f}]\n"), "auth.issuers[0].audience: must not be empty")
        XCTAssertEqual(error(Self.auth + "  issuers: [{issuer: x, audience: a}]\n"), "auth.issuers[0].jwksFile: give exactly one of jwksFile and jwksURL")
        XCTAssertEqual(
            error(Self.auth + "  issuers: [{issuer: x, audience: a, jwksFile: f, jwksURL: 'https://idp/jwks'}]\n"),
            "auth.issuers[0].jwksFile: give exactly one of jwksFile and jwksURL")
        XCTAssertEqual(
            error(Self.auth + "  issuers: [{issuer: x, audience: a, jwksURL: 'http://idp.example/jwks'}]\n"),
            "auth.issuers[0].jwksURL: must be an https:// URL (http:// only on loopback)")
        XCTAssertEqual(
            error(Self.auth + "  issuers: [{issuer: x, audience: a, jwksURL: 'https://idp/jwks', jwksRefreshSeconds: 5}]\n"),
            "auth.issuers[0].jwksRefreshSeconds: must be at least 60")
        XCTAssertTrue(error(Self.auth + "  secret: x\n")?.hasPrefix("auth.secret: unknown key") ?? false)
        XCTAssertEqual(try parse(Self.auth + "rollout: {enforceRBAC: audit-only, enforceValidation: [binance]}\n").rollout.enforceRBAC, .auditOnly)
        XCTAssertTrue(error(Self.auth + "rollout: {enforceRBAC: sometimes}\n")?.hasPrefix("rollout.enforceRBAC") ?? false)
    }

    func testValuesOverrideDefaultsAndEnvironmentFillsSecrets() throws {
        let c = try parse(
            """
            server: {port: 9000, host: 0.0.0.0}
            serve: {stateRingSize: 8, eventRingSize: 16}
            feeds:
              deribit:
                enabled: true
                instruments: [BTC-PERPETUAL]
                clientId: ${ID}
                clientSecret: "${SECRET:-dflt}"
                heartbeatSeconds: 15
              synthetic: {enabled: true, rate: 500, channels: 3}
            """, environment: ["ID": "abc"])
        XCTAssertEqual(c.server.port, 9000)
        XCTAssertEqual(c.server.host, "0.0.0.0")
        XCTAssertEqual(c.serve.stateRingSize, 8)
        XCTAssertEqual(c.feeds.venues.deribit.feed.instruments, ["BTC-PERPETUAL"])
        XCTAssertEqual(c.feeds.venues.deribit.feed.clientID, "abc")
        XCTAssertEqual(c.feeds.venues.deribit.feed.clientSecret, "dflt")
        XCTAssertEqual(c.feeds.venues.deribit.feed.staleAfter, 45)
        XCTAssertEqual(c.feeds.synthetic.channels, 3)
        let noCreds = try parse("feeds:\n  deribit:\n    clientId: ${X:-}\n    clientSecret: ${Y:-}\n")
        XCTAssertNil(noCreds.feeds.venues.deribit.feed.clientID)
    }

    func testErrorsNameTheKeyPath() {
        XCTAssertEqual(error("server:\n  port: 70000\n"), "server.port: must be between 0 and 65535")
        XCTAssertEqual(error("server:\n  port: x\n"), "server.port: expected an integer")
        XCTAssertEqual(error("server:\n  eventLoop: epoll\n"), "server.eventLoop: must be one of libuv, poll, got 'epoll'")
        XCTAssertEqual(try parse("server:\n  eventLoop: poll\n").server.eventLoop, "poll")
        XCTAssertEqual(error("serve:\n  frameBytes: [1]\n"), "serve.frameBytes: expected a single value")
        XCTAssertTrue(error("feeds:\n  deribit:\n    nope: 1\n")?.hasPrefix("feeds.deribit.nope: unknown key") ?? false)
        XCTAssertTrue(error("top: 1\n")?.hasPrefix("top: unknown key") ?? false)
        XCTAssertEqual(error("feeds:\n  deribit:\n    clientId: ${MISSING}\n"), "feeds.deribit.clientId: environment variable MISSING is not set")
        XCTAssertEqual(error("feeds:\n  deribit:\n    clientId: ${OPEN\n"), "feeds.deribit.clientId: unterminated ${ in value")
        XCTAssertEqual(error("feeds:\n  deribit: {enabled: true, url: http://x}\n"), "feeds.deribit.url: must be a ws:// or wss:// URL")
        XCTAssertEqual(error("feeds:\n  deribit: {enabled: true, interval: raw}\n"), "feeds.deribit.interval: raw needs clientId and clientSecret")
        XCTAssertEqual(error("feeds:\n  deribit: {enabled: true, clientId: a}\n"), "feeds.deribit.clientSecret: clientId and clientSecret go together")
        XCTAssertEqual(
            error("feeds:\n  deribit: {enabled: true, heartbeatSeconds: 10, staleAfterSeconds: 5}\n"),
            "feeds.deribit.staleAfterSeconds: must exceed heartbeatSeconds")
        XCTAssertEqual(error("feeds:\n  synthetic: {enabled: true, rate: 0}\n"), "feeds.synthetic.rate: must be between 0 and 10000000")
        XCTAssertEqual(error("serve: {frameBytes: 65536, maxPendingBytes: 1024}\n"), "serve.maxPendingBytes: must be at least serve.frameBytes")
        XCTAssertTrue(error("- a\n- b\n")?.contains("expected") ?? false)
        XCTAssertEqual(error("redis:\n  url: http://x\n"), "redis.url: must be a redis:// URL (or empty for memory only)")
        XCTAssertEqual(error("redis:\n  url: redis://h\n  historyLength: 0\n"), "redis.historyLength: must be at least 1")
        XCTAssertEqual(error("serve:\n  historyMaxAgeSeconds: -1\n"), "serve.historyMaxAgeSeconds: must not be negative (0: no limit)")
        XCTAssertEqual(try parse("redis:\n  url: ${R:-}\n").redis.url, "")
        XCTAssertEqual(try parse("redis:\n  url: ${R:-}\n", environment: ["R": "redis://h:1/2"]).redis.url, "redis://h:1/2")
    }

    func testObservabilitySectionsAreDecodedAndChecked() throws {
        let c = try parse(
            """
            metrics: {token: "${T}", loopbackOpen: true, channelLabels: true, maxChannelLabels: 5}
            usage: {flushSeconds: 10, retention: {minuteHours: 2, hourDays: 8, dayDays: 31}}
            alerts:
              evaluateSeconds: 2
              rules:
                - {name: feeds, kind: sourceNotLive, forSeconds: 30, severity: critical}
                - {name: serve-p99, kind: stageLatency, stage: serve, threshold: 0.005, forSeconds: 60}
              webhooks:
                - {url: "http://127.0.0.1:9/hook", headers: {Authorization: "Bearer x"}, maxAttempts: 2}

            """, environment: ["T": "0123456789abcdef0123"])
        XCTAssertEqual(c.metrics.token, "0123456789abcdef0123")
        XCTAssertTrue(c.metrics.loopbackOpen)
        XCTAssertEqual(c.metrics.maxChannelLabels, 5)
        XCTAssertEqual(c.usage.flushSeconds, 10)
        XCTAssertEqual(c.usage.retention.hourDays, 8)
        XCTAssertEqual(c.alerts.rules.map(\.name), ["feeds", "serve-p99"])
        XCTAssertEqual(c.alerts.rules[1].stage, "serve")
        XCTAssertEqual(c.alerts.webhooks.first?.maxAttempts, 2)

        XCTAssertEqual(error("metrics: {token: short}\n"), "metrics.token: a metrics token needs at least 16 characters")
        XCTAssertEqual(error("usage: {flushSeconds: 0}\n"), "usage.flushSeconds: must be between 1 and 3600")
        XCTAssertEqual(error("usage: {retention: {hourDays: 1}}\n"), "usage.retention.hourDays: must be at least 7 (the 7d window)")
        XCTAssertTrue(error("usage: {nope: 1}\n")?.hasPrefix("usage.nope: unknown key") ?? false)
        XCTAssertEqual(error("alerts: {rules: [{name: a, kind: stageLatency}]}\n"), "alerts.rules[0].stage: must be one of ingest, transform, enrich, serve")
        XCTAssertEqual(error("alerts: {rules: [{name: a, kind: redisDown}, {name: a, kind: redisDown}]}\n"), "alerts.rules: two rules are named 'a'")
        XCTAssertEqual(error("alerts: {webhooks: [{url: ftp://x}]}\n"), "alerts.webhooks[0].url: must be an http:// or https:// URL")
        XCTAssertEqual(
            error("alerts: {webhooks: [{url: \"https://u:secret@h/x\"}]}\n"),
            "alerts.webhooks[0].url: must not carry credentials: put them in headers (Authorization)")
        XCTAssertEqual(error("alerts: {evaluateSeconds: 0}\n"), "alerts.evaluateSeconds: must be between 0.1 and 3600")
    }

    func testLoadReportsTheFile() {
        XCTAssertThrowsError(try ConfigLoader.load(path: "/nonexistent/c.yaml", venues: VenueRegistry.all)) {
            XCTAssertEqual("\($0)", "/nonexistent/c.yaml: cannot read the file")
        }
    }
}
