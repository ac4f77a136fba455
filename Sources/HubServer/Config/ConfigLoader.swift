import Foundation
import HubAuth
import HubCore
import HubStore
import WebSocketLoop
import Yams

/// Reads, expands, decodes and validates a YAML configuration file.
///
/// `${VAR}` in any value is replaced by the environment variable (an error when unset);
/// `${VAR:-default}` falls back to `default`. Secrets never need to be written in the file.
/// `venues` are the venues whose `feeds.<id>` sections the file may hold; each decodes and
/// validates its own section.
public enum ConfigLoader {
    public static func load(
        path: String, venues: [any Venue], environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> HubConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(key: "", "cannot read the file", file: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(key: "", "the file is not UTF-8", file: path)
        }
        do {
            return try parse(text, venues: venues, environment: environment)
        } catch var e {
            e.file = path
            throw e
        }
    }

    public static func parse(_ text: String, venues: [any Venue], environment: [String: String] = [:]) throws(ConfigError) -> HubConfig {
        let node: Node
        do {
            node = try Yams.compose(yaml: text) ?? Node.mapping(Node.Mapping([]))
        } catch {
            // Yams' messages span lines (with a caret drawing); keep the first, which has the position.
            let first = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            throw ConfigError(key: "", "not valid YAML: \(first)")
        }
        let expanded = try expand(node, path: [], environment)
        let config: HubConfig
        do {
            config = try YAMLDecoder().decode(HubConfig.self, from: expanded, userInfo: [.venues: venues])
        } catch let e as DecodingError {
            throw describe(e)
        } catch {
            throw ConfigError(key: "", "\(error)")
        }
        try validate(config)
        for v in venues { try v.validate(in: config.feeds.venues) }
        return config
    }

    private static func expand(_ node: Node, path: [String], _ env: [String: String]) throws(ConfigError) -> Node {
        switch node {
        case .scalar(var s):
            guard s.string.contains("${") else { return node }
            s.string = try substitute(s.string, key: path.joined(separator: "."), env)
            return .scalar(s)
        case .mapping(var m):
            var pairs: [(Node, Node)] = []
            for (k, v) in m {
                pairs.append((k, try expand(v, path: path + [k.string ?? "?"], env)))
            }
            m = Node.Mapping(pairs, m.tag, m.style, m.mark)
            return .mapping(m)
        case .sequence(var s):
            var items: [Node] = []
            for (i, v) in s.enumerated() { items.append(try expand(v, path: path + ["\(i)"], env)) }
            s = Node.Sequence(items, s.tag, s.style, s.mark)
            return .sequence(s)
        default:
            return node
        }
    }

    static func substitute(_ s: String, key: String, _ env: [String: String]) throws(ConfigError) -> String {
        var out = ""
        var rest = Substring(s)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw ConfigError(key: key, "unterminated ${ in value")
            }
            let expr = rest[start.upperBound..<end]
            let name: Substring, fallback: Substring?
            if let sep = expr.range(of: ":-") {
                name = expr[..<sep.lowerBound]
                fallback = expr[sep.upperBound...]
            } else {
                name = expr
                fallback = nil
            }
            if let v = env[String(name)], !v.isEmpty {
                out += v
            } else if let fallback {
                out += fallback
            } else {
                throw ConfigError(key: key, "environment variable \(name) is not set")
            }
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }

    static func describe(_ e: DecodingError) -> ConfigError {
        let (key, reason) = e.keyPathAndReason
        return ConfigError(key: key, reason)
    }

    /// The token secret, for the commands that sign or verify (`serve`, `token`, `check-config`);
    /// store maintenance (`migrate`, `users`) runs without it.
    public static func requireSecret(_ c: HubConfig) throws(ConfigError) {
        guard c.auth.jwtSecret.utf8.count >= 32 else {
            throw ConfigError(key: "auth.jwtSecret", "must be at least 32 bytes (set STREAMHUB_JWT_SECRET; scripts/run generates one)")
        }
    }

    /// Ranges and relations the types cannot express.
    static func validate(_ c: HubConfig) throws(ConfigError) {
        func check(_ ok: Bool, _ key: String, _ message: String) throws(ConfigError) {
            if !ok { throw ConfigError(key: key, message) }
        }
        func checkPEM(_ path: String, _ key: String) throws(ConfigError) {
            try check(FileManager.default.isReadableFile(atPath: path), key, "cannot read '\(path)' (a PEM file)")
        }
        try check(!c.server.host.isEmpty, "server.host", "must not be empty")
        try check((0...65535).contains(c.server.port), "server.port", "must be between 0 and 65535")
        try check(!c.server.dataDir.isEmpty, "server.dataDir", "must not be empty")
        try check(!c.properties.seedDirectory.isEmpty, "properties.seedDirectory", "must not be empty")
        try check(c.server.maxConnections >= 16, "server.maxConnections", "must be at least 16")
        try check(c.server.maxConnectionsPerAddress >= 0, "server.maxConnectionsPerAddress", "must not be negative (0: no limit)")
        try check((9...15).contains(c.server.deflateWindowBits), "server.deflateWindowBits", "must be between 9 and 15")
        try check((1...9).contains(c.server.deflateMemoryLevel), "server.deflateMemoryLevel", "must be between 1 and 9")
        try check(
            LoopConfiguration.EventLibrary(rawValue: c.server.eventLoop) != nil, "server.eventLoop",
            "must be one of \(LoopConfiguration.EventLibrary.allCases.map(\.rawValue).joined(separator: ", ")), got '\(c.server.eventLoop)'")
        if let tls = c.server.tls {
            for (key, path) in [("certFile", tls.certFile), ("keyFile", tls.keyFile), ("clientCAFile", tls.clientCAFile)] {
                guard let path else { continue }
                try checkPEM(path, "server.tls.\(key)")
            }
        }
        try check(c.server.shutdownGraceSeconds >= 0, "server.shutdownGraceSeconds", "must not be negative")
        let s = c.serve
        try check((1...1_000_000).contains(s.stateRingSize), "serve.stateRingSize", "must be between 1 and 1000000")
        try check((1...1_000_000).contains(s.eventRingSize), "serve.eventRingSize", "must be between 1 and 1000000")
        try check((1024...(16 << 20)).contains(s.frameBytes), "serve.frameBytes", "must be between 1024 and 16777216")
        try check(s.maxPendingBytes >= s.frameBytes, "serve.maxPendingBytes", "must be at least serve.frameBytes")
        try check(s.conflateBytes >= 1024, "serve.conflateBytes", "must be at least 1024")
        try check(s.maxControlBytes >= 1024, "serve.maxControlBytes", "must be at least 1024")
        try check((256...(16 << 20)).contains(s.maxMessageBytes), "serve.maxMessageBytes", "must be between 256 and 16777216")
        try check(s.maxSubscriptions >= 1, "serve.maxSubscriptions", "must be at least 1")
        try check(s.maxProtocolErrors >= 0, "serve.maxProtocolErrors", "must not be negative")
        try check(s.historyMaxAgeSeconds >= 0, "serve.historyMaxAgeSeconds", "must not be negative (0: no limit)")
        try check(s.maxRecoverMessages >= 0, "serve.maxRecoverMessages", "must not be negative")
        try check((1...1024).contains(s.maxRecoveriesPerSession), "serve.maxRecoveriesPerSession", "must be between 1 and 1024")
        try check((1...100_000).contains(s.maxRecoveries), "serve.maxRecoveries", "must be between 1 and 100000")
        try check(s.maxSubscriptionsPerAddress >= 0, "serve.maxSubscriptionsPerAddress", "must not be negative (0: no limit)")
        try check((0...1_000_000).contains(s.memoryHistoryLength), "serve.memoryHistoryLength", "must be between 0 and 1000000")
        let r = c.redis
        if !r.url.isEmpty {
            try check(r.url.hasPrefix("redis://"), "redis.url", "must be a redis:// URL (or empty for memory only)")
            try check(!r.keyPrefix.isEmpty && !r.keyPrefix.contains(" "), "redis.keyPrefix", "must be a non-empty word")
            try check(r.historyLength >= 1, "redis.historyLength", "must be at least 1")
            try check(r.maxPendingHistory >= 1, "redis.maxPendingHistory", "must be at least 1")
            try check(r.timeoutSeconds > 0 && r.timeoutSeconds <= 60, "redis.timeoutSeconds", "must be between 0 and 60")
        }
        let k = c.cluster
        if k.enabled {
            try check(!r.url.isEmpty, "cluster.enabled", "requires redis.url (the cluster's publications, leases and history live in Redis)")
            try check(
                k.nodeId.count <= 64 && k.nodeId.allSatisfy(HubConfig.Cluster.allowed), "cluster.nodeId", "must be up to 64 letters, digits, '.', '_' or '-'")
            try check((1...300).contains(k.failoverSeconds), "cluster.failoverSeconds", "must be between 1 and 300")
            try check((1...1024).contains(k.shards), "cluster.shards", "must be between 1 and 1024")
        }
        if !c.store.postgres.isEmpty {
            do {
                _ = try PostgresURL(parsing: c.store.postgres)
            } catch {
                throw ConfigError(key: "store.postgres", "\(error)")
            }
        }
        let a = c.auth
        try check(a.accessTokenSeconds >= 10 && a.accessTokenSeconds <= 86_400, "auth.accessTokenSeconds", "must be between 10 and 86400")
        try check(a.refreshTokenSeconds >= a.accessTokenSeconds, "auth.refreshTokenSeconds", "must be at least auth.accessTokenSeconds")
        try check((0...300).contains(a.leewaySeconds), "auth.leewaySeconds", "must be between 0 and 300")
        try check((10_000...10_000_000).contains(a.passwordRounds), "auth.passwordRounds", "must be between 10000 and 10000000")
        try check(a.expiryWarningSeconds >= 0, "auth.expiryWarningSeconds", "must not be negative")
        try check(a.authDeadlineSeconds > 0 && a.authDeadlineSeconds <= 300, "auth.authDeadlineSeconds", "must be more than 0 and at most 300")
        try check(
            a.bootstrapAdminKey.isEmpty || APIKey(parsing: a.bootstrapAdminKey) != nil, "auth.bootstrapAdminKey",
            "must look like shk_<id>_<secret> (secret of 16 to 128 characters)")
        try check(a.loginMaxFailures >= 1, "auth.loginMaxFailures", "must be at least 1")
        try check(a.loginMaxFailuresPerAddress >= 1, "auth.loginMaxFailuresPerAddress", "must be at least 1")
        try check(a.loginWindowSeconds > 0, "auth.loginWindowSeconds", "must be positive")
        try check(a.apiKeyMaxDays > 0 && a.apiKeyMaxDays <= 3650, "auth.apiKeyMaxDays", "must be more than 0 and at most 3650")
        try check(a.passwordSetupDays > 0 && a.passwordSetupDays <= 90, "auth.passwordSetupDays", "must be more than 0 and at most 90")
        try check(a.apiKeyDays > 0 && a.apiKeyDays <= a.apiKeyMaxDays, "auth.apiKeyDays", "must be more than 0 and at most auth.apiKeyMaxDays")
        try check((1...10_000).contains(a.maxAPIKeysPerUser), "auth.maxAPIKeysPerUser", "must be between 1 and 10000")
        try check(a.anonymousIdleSeconds >= 0, "auth.anonymousIdleSeconds", "must not be negative (0: never)")
        for (i, issuer) in a.issuers.enumerated() {
            try check(!issuer.issuer.isEmpty, "auth.issuers[\(i)].issuer", "must not be empty")
            try check(issuer.issuer != "streamhub", "auth.issuers[\(i)].issuer", "'streamhub' is the hub's own issuer")
            try check(!issuer.audience.isEmpty, "auth.issuers[\(i)].audience", "must not be empty")
            try check(issuer.jwksFile.isEmpty != issuer.jwksURL.isEmpty, "auth.issuers[\(i)].jwksFile", "give exactly one of jwksFile and jwksURL")
            if !issuer.jwksURL.isEmpty {
                let url = URL(string: issuer.jwksURL)
                let loopback = ["127.0.0.1", "localhost", "::1"].contains(url?.host ?? "")
                try check(
                    url?.scheme == "https" || (url?.scheme == "http" && loopback), "auth.issuers[\(i)].jwksURL",
                    "must be an https:// URL (http:// only on loopback)")
                try check(issuer.jwksRefreshSeconds >= 60, "auth.issuers[\(i)].jwksRefreshSeconds", "must be at least 60")
                try check(issuer.jwksMinRefreshSeconds >= 1, "auth.issuers[\(i)].jwksMinRefreshSeconds", "must be at least 1")
                if !issuer.jwksCAFile.isEmpty { try checkPEM(issuer.jwksCAFile, "auth.issuers[\(i)].jwksCAFile") }
            }
            try check(!issuer.rolesClaim.isEmpty, "auth.issuers[\(i)].rolesClaim", "must not be empty")
        }
        try check(!c.flags.seedFile.isEmpty, "flags.seedFile", "must not be empty")
        try check(!c.flags.environment.isEmpty, "flags.environment", "must not be empty")
        try check(!c.flags.appName.isEmpty, "flags.appName", "must not be empty")
        try check((1 << 16...1 << 30).contains(c.feeds.maxFrameBytes), "feeds.maxFrameBytes", "must be between 65536 and 1073741824")
        let e = c.enrichment
        for (book, w) in e.sharpness.sorted(by: { $0.key < $1.key }) {
            try check((0...1).contains(w), "enrichment.sharpness.\(book)", "must be between 0 and 1")
        }
        try check((0...1).contains(e.defaultSharpness), "enrichment.defaultSharpness", "must be between 0 and 1")
        try check(e.consensusHalfLifeSeconds > 0, "enrichment.consensusHalfLifeSeconds", "must be positive")
        try check((0...0.5).contains(e.minEdge), "enrichment.minEdge", "must be between 0 and 0.5")
        try check(e.maxQuoteAgeSeconds > 0, "enrichment.maxQuoteAgeSeconds", "must be positive")
        try check(e.fundingIntervalHours > 0 && e.fundingIntervalHours <= 24, "enrichment.fundingIntervalHours", "must be above 0 and at most 24")
        for (venue, fee) in e.fees.sorted(by: { $0.key < $1.key }) {
            try check((0...0.1).contains(fee), "enrichment.fees.\(venue)", "must be between 0 and 0.1 (a fraction of the price)")
        }
        let y = c.feeds.synthetic
        if y.enabled {
            try check(y.rate > 0 && y.rate <= 10_000_000, "feeds.synthetic.rate", "must be between 0 and 10000000")
            try check((1...1_000_000).contains(y.channels), "feeds.synthetic.channels", "must be between 1 and 1000000")
        }
    }
}
