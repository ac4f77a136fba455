import HubCore

// Strict decoding: absent keys take defaults, unknown keys are errors naming their path.

extension HubConfig: Decodable {
    enum Keys: String, CodingKey, CaseIterable {
        case server, serve, feeds, properties, redis, cluster, store, auth, flags, enrichment, mappings, metrics, usage, alerts, publish, rollout
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        self.init()
        server = try c.value(.server, server)
        serve = try c.decodeIfPresent(ServeSection.self, forKey: .serve)?.config ?? serve
        feeds = try c.value(.feeds, feeds)
        properties = try c.value(.properties, properties)
        redis = try c.value(.redis, redis)
        cluster = try c.value(.cluster, cluster)
        store = try c.value(.store, store)
        auth = try c.value(.auth, auth)
        flags = try c.value(.flags, flags)
        enrichment = try c.decodeIfPresent(EnrichmentSection.self, forKey: .enrichment)?.config ?? enrichment
        mappings = try c.value(.mappings, mappings)
        metrics = try c.value(.metrics, metrics)
        usage = try c.value(.usage, usage)
        alerts = try c.value(.alerts, alerts)
        publish = try c.value(.publish, publish)
        rollout = try c.value(.rollout, rollout)
    }
}

/// `enrichment:` — sharp books of consensus v1, sharpness weights and half-life of v2, fees.
struct EnrichmentSection: Decodable {
    var config = EnrichmentConfig()
    enum Keys: String, CodingKey, CaseIterable {
        case sharpBooks, sharpness, defaultSharpness, consensusHalfLifeSeconds, fees, minEdge, maxQuoteAgeSeconds, fundingIntervalHours
    }
    init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        config.sharpBooks = try c.value(.sharpBooks, config.sharpBooks)
        // Entries given replace the defaults one by one; venues not named keep theirs.
        config.sharpness.merge(try c.value(.sharpness, [String: Double]())) { $1 }
        config.defaultSharpness = try c.value(.defaultSharpness, config.defaultSharpness)
        config.consensusHalfLifeSeconds = try c.value(.consensusHalfLifeSeconds, config.consensusHalfLifeSeconds)
        config.fees.merge(try c.value(.fees, [String: Double]())) { $1 }
        config.minEdge = try c.value(.minEdge, config.minEdge)
        config.maxQuoteAgeSeconds = try c.value(.maxQuoteAgeSeconds, config.maxQuoteAgeSeconds)
        config.fundingIntervalHours = try c.value(.fundingIntervalHours, config.fundingIntervalHours)
    }
}

extension HubConfig.Mappings: Decodable {
    enum Keys: String, CodingKey, CaseIterable { case seedFile }
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        self.init()
        seedFile = try c.value(.seedFile, seedFile)
    }
}

extension HubConfig.Flags: Decodable {
    enum Keys: String, CodingKey, CaseIterable { case seedFile, environment, appName }
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        self.init()
        seedFile = try c.value(.seedFile, seedFile)
        environment = try c.value(.environment, environment)
        appName = try c.value(.appName, appName)
    }
}

extension HubConfig.Auth: Decodable {
    enum Keys: String, CodingKey, CaseIterable {
        case jwtSecret, anonymous, accessTokenSeconds, refreshTokenSeconds, leewaySeconds, passwordRounds, expiryWarningSeconds
        case authDeadlineSeconds, rolesFile, bootstrapAdminKey, loginMaxFailures, loginMaxFailuresPerAddress, loginWindowSeconds, issuers
        case apiKeyDays, apiKeyMaxDays, maxAPIKeysPerUser, anonymousIdleSeconds, passwordSetupDays
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        self.init()
        jwtSecret = try c.value(.jwtSecret, jwtSecret)
        anonymous = try c.value(.anonymous, anonymous)
        accessTokenSeconds = try c.value(.accessTokenSeconds, accessTokenSeconds)
        refreshTokenSeconds = try c.value(.refreshTokenSeconds, refreshTokenSeconds)
        leewaySeconds = try c.value(.leewaySeconds, leewaySeconds)
        passwordRounds = try c.value(.passwordRounds, passwordRounds)
        expiryWarningSeconds = try c.value(.expiryWarningSeconds, expiryWarningSeconds)
        authDeadlineSeconds = try c.value(.authDeadlineSeconds, authDeadlineSeconds)
        rolesFile = try c.value(.rolesFile, rolesFile)
        bootstrapAdminKey = try c.value(.bootstrapAdminKey, bootstrapAdminKey)
        loginMaxFailures = try c.value(.loginMaxFailures, loginMaxFailures)
        loginMaxFailuresPerAddress = try c.value(.loginMaxFailuresPerAddress, loginMaxFailuresPerAddress)
        loginWindowSeconds = try c.value(.loginWindowSeconds, loginWindowSeconds)
        issuers = try c.value(.issuers, issuers)
        apiKeyDays = try c.value(.apiKeyDays, apiKeyDays)
        apiKeyMaxDays = try c.value(.apiKeyMaxDays, apiKeyMaxDays)
        maxAPIKeysPerUser = try c.value(.maxAPIKeysPerUser, maxAPIKeysPerUser)
        anonymousIdleSeconds = try c.value(.anonymousIdleSeconds, anonymousIdleSeconds)
        passwordSetupDays = try c.value(.passwordSetupDays, passwordSetupDays)
    }
}

extension HubConfig.Auth.Issuer: Decodable {
    enum Keys: String, CodingKey, CaseIterable {
        case issuer, audience, jwksFile, jwksURL, jwksCAFile, jwksRefreshSeconds, jwksMinRefreshSeconds, rolesClaim, roleMap
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        self.init()
        issuer = try c.decode(String.self, forKey: .issuer)
        audience = try c.decode(String.self, forKey: .audience)
        jwksFile = try c.value(.jwksFile, jwksFile)
        jwksURL = try c.value(.jwksURL, jwksURL)
        jwksCAFile = try c.value(.jwksCAFile, jwksCAFile)
        jwksRefreshSeconds = try c.value(.jwksRefreshSeconds, jwksRefreshSeconds)
        jwksMinRefreshSeconds = try c.value(.jwksMinRefreshSeconds, jwksMinRefreshSeconds)
        rolesClaim = try c.value(.rolesClaim, rolesClaim)
        roleMap = try c.value(.roleMap, roleMap)
    }
}

extension HubConfig.Redis: Decodable {
    enum Keys: String, CodingKey, CaseIterable { case url, keyPrefix, historyLength, maxPendingHistory, timeoutSeconds }
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        self.init()
        url = try c.value(.url, url)
        keyPrefix = try c.value(.keyPrefix, keyPrefix)
        historyLength = try c.value(.historyLength, historyLength)
        maxPendingHistory = try c.value(.maxPendingHistory, maxPendingHistory)
        timeoutSeconds = try c.value(.timeoutSeconds, timeoutSeconds)
    }
}

extension HubConfig.Properties: Decodable {
    enum Keys: String, CodingKey, CaseIterable { case seedDirectory }
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        self.init()
        seedDirectory = try c.value(.seedDirectory, seedDirectory)
    }
}

extension HubConfig.Server: Decodable {
    enum Keys: String, CodingKey, CaseIterable {
        case host, port, dataDir, publicDir, chartJsDir, permessageDeflate, maxConnections, shutdownGraceSeconds, maxConnectionsPerAddress
        case deflateWindowBits, deflateMemoryLevel, tls, eventLoop
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        self.init()
        host = try c.value(.host, host)
        port = try c.value(.port, port)
        dataDir = try c.value(.dataDir, dataDir)
        publicDir = try c.value(.publicDir, publicDir)
        chartJsDir = try c.value(.chartJsDir, chartJsDir)
        permessageDeflate = try c.value(.permessageDeflate, permessageDeflate)
        maxConnections = try c.value(.maxConnections, maxConnections)
        maxConnectionsPerAddress = try c.value(.maxConnectionsPerAddress, maxConnectionsPerAddress)
        deflateWindowBits = try c.value(.deflateWindowBits, deflateWindowBits)
        deflateMemoryLevel = try c.value(.deflateMemoryLevel, deflateMemoryLevel)
        shutdownGraceSeconds = try c.value(.shutdownGraceSeconds, shutdownGraceSeconds)
        eventLoop = try c.value(.eventLoop, eventLoop)
        tls = try c.decodeIfPresent(TLS.self, forKey: .tls)
    }
}

extension HubConfig.Server.TLS: Decodable {
    enum Keys: String, CodingKey, CaseIterable { case certFile, keyFile, clientCAFile }
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        self.init()
        certFile = try c.decode(String.self, forKey: .certFile)
        keyFile = try c.decode(String.self, forKey: .keyFile)
        clientCAFile = try c.decodeIfPresent(String.self, forKey: .clientCAFile)
    }
}

/// `serve:` maps onto HubCore's `ServeConfig`.
struct ServeSection: Decodable {
    var config = ServeConfig()
    enum Keys: String, CodingKey, CaseIterable {
        case stateRingSize, eventRingSize, frameBytes, maxPendingBytes, conflateBytes, maxControlBytes
        case maxMessageBytes, maxSubscriptions, maxProtocolErrors, historyMaxAgeSeconds, maxRecoverMessages, memoryHistoryLength
        case maxRecoveriesPerSession, maxRecoveries, maxSubscriptionsPerAddress
    }
    init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        config.stateRingSize = try c.value(.stateRingSize, config.stateRingSize)
        config.eventRingSize = try c.value(.eventRingSize, config.eventRingSize)
        config.frameBytes = try c.value(.frameBytes, config.frameBytes)
        config.maxPendingBytes = try c.value(.maxPendingBytes, config.maxPendingBytes)
        config.conflateBytes = try c.value(.conflateBytes, config.conflateBytes)
        config.maxControlBytes = try c.value(.maxControlBytes, config.maxControlBytes)
        config.maxMessageBytes = try c.value(.maxMessageBytes, config.maxMessageBytes)
        config.maxSubscriptions = try c.value(.maxSubscriptions, config.maxSubscriptions)
        config.maxProtocolErrors = try c.value(.maxProtocolErrors, config.maxProtocolErrors)
        config.historyMaxAgeSeconds = try c.value(.historyMaxAgeSeconds, config.historyMaxAgeSeconds)
        config.maxRecoverMessages = try c.value(.maxRecoverMessages, config.maxRecoverMessages)
        config.maxRecoveriesPerSession = try c.value(.maxRecoveriesPerSession, config.maxRecoveriesPerSession)
        config.maxRecoveries = try c.value(.maxRecoveries, config.maxRecoveries)
        config.maxSubscriptionsPerAddress = try c.value(.maxSubscriptionsPerAddress, config.maxSubscriptionsPerAddress)
        config.memoryHistoryLength = try c.value(.memoryHistoryLength, config.memoryHistoryLength)
    }
}

extension HubConfig.Feeds: Decodable {
    enum Keys: String, CodingKey, CaseIterable { case synthetic, maxFrameBytes }
    /// The venues whose sections may appear (`feeds.<id>`) come with the decoder
    /// (`CodingUserInfoKey.venues`); any other key is an error naming its path.
    public init(from decoder: Decoder) throws {
        let venues = decoder.userInfo[.venues] as? [any Venue] ?? []
        let c = try decoder.strictContainer(Keys.self, alsoKnown: venues.map(\.id))
        self.init()
        let all = try decoder.container(keyedBy: AnyCodingKey.self)
        self.venues = try VenueSections(from: all, venues: venues)
        maxFrameBytes = try c.value(.maxFrameBytes, maxFrameBytes)
        synthetic = try c.value(.synthetic, synthetic)
    }
}

extension CodingUserInfoKey {
    /// `[any Venue]`: the venues a configuration may configure.
    public static let venues = CodingUserInfoKey(rawValue: "streamhub.venues")!
}

extension HubConfig.Synthetic: Decodable {
    enum Keys: String, CodingKey, CaseIterable { case enabled, rate, channels, wide }
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        self.init()
        enabled = try c.value(.enabled, enabled)
        rate = try c.value(.rate, rate)
        channels = try c.value(.channels, channels)
        wide = try c.value(.wide, wide)
    }
}
