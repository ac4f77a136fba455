import ArgumentParser
import Foundation
import HubCore

/// Kalshi's trade API v2: signed login (handshake headers), books with `seq` per `sid`,
/// tickers, trades.
public struct KalshiVenue: SimulatedVenue {
    public init() {}
    public let id = "kalshi"
    public var schema: VenueSchema { KalshiField.schema }
    public let propertiesFiles = ["prediction.yaml", "exchange.yaml"]

    /// Reads the API key's private key file into the feed's settings.
    public func prepare(_ settings: KalshiSettings) throws(ConfigError) -> KalshiSettings {
        guard !settings.privateKeyFile.isEmpty else { return settings }
        let key = "\(settingsKey).privateKeyFile"
        guard let data = FileManager.default.contents(atPath: settings.privateKeyFile), let pem = String(data: data, encoding: .utf8) else {
            throw ConfigError(key: key, "cannot read \(settings.privateKeyFile)")
        }
        do { _ = try KalshiAuth(keyID: settings.feed.keyID, privateKeyPEM: pem) } catch {
            throw ConfigError(key: key, "\(settings.privateKeyFile) is not an RSA private key in PEM")
        }
        var ready = settings
        ready.feed.privateKeyPEM = pem
        ready.privateKeyFile = ""
        return ready
    }

    public func adapter(_ settings: KalshiSettings) -> FeedAdapter { KalshiFeed(config: settings.feed) }

    public var simulatorCommand: any ParsableCommand.Type { KalshiSimulatorCommand.self }

    /// The simulator checks signatures with the configured key's public half, or with a key pair
    /// made now when no key file is configured.
    public func simulator(for settings: KalshiSettings, _ context: SimulationContext) throws -> (KalshiSimulator, KalshiSettings) {
        var ready = try prepare(settings)
        let publicPEM: String
        if ready.feed.privateKeyPEM.isEmpty {
            (ready.feed.privateKeyPEM, publicPEM) = try KalshiAuth.generateKeyPair()
        } else {
            publicPEM = try KalshiAuth.publicKeyPEM(ofPrivate: ready.feed.privateKeyPEM)
        }
        if ready.feed.keyID.isEmpty { ready.feed.keyID = "sim-key" }
        var sc = KalshiSimulatorConfig()
        sc.markets = context.probabilities(venue: id, ready.feed.markets.map { ($0, $0) }, seed: 7)
        sc.keyID = ready.feed.keyID
        sc.publicKeyPEM = publicPEM
        sc.stepMilliseconds = ready.simulatorStepMilliseconds
        sc.legacyCents = ready.simulatorLegacyCents
        return (try KalshiSimulator(config: sc, clock: context.clock), ready)
    }

    public func faultTarget(_ settings: KalshiSettings) -> String { settings.feed.markets.first ?? "" }

    public var simulatedSettings: KalshiSettings {
        var s = KalshiSettings()
        s.enabled = true
        s.simulate = true
        s.feed.markets = ["FED-23DEC-T3.00", "HIGHNY-22DEC23-B53.5"]
        return s
    }
}

extension VenueSections {
    /// `feeds.kalshi`.
    public var kalshi: KalshiSettings {
        get { self[KalshiVenue()] }
        set { self[KalshiVenue()] = newValue }
    }
}
