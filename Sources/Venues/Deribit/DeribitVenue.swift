import ArgumentParser
import HubCore

/// Deribit: JSON-RPC 2.0 over WebSocket — tickers, books, trades, options chains with Greeks.
public struct DeribitVenue: SimulatedVenue {
    public init() {}
    public let id = "deribit"
    public var schema: VenueSchema { DeribitField.schema }
    public let propertiesFiles = ["exchange.yaml", "deribit.yaml", "derivatives.yaml"]
    /// `public/auth` sends the client secret and is answered with tokens.
    public let secretFields = ["client_secret", "access_token", "refresh_token"]

    public func adapter(_ settings: DeribitSettings) -> FeedAdapter { DeribitFeed(config: settings.feed) }

    /// A recording's acknowledgements answer the recording client's own request ids: a replay
    /// judges the session by the data it carries.
    public func replayAdapter(_ settings: DeribitSettings, recordedURL: String?) -> FeedAdapter {
        DeribitFeed(config: settings.feed, subscribedByData: true)
    }

    public var simulatorCommand: any ParsableCommand.Type { DeribitSimulatorCommand.self }

    public func simulator(for settings: DeribitSettings, _ context: SimulationContext) throws -> (DeribitSimulator, DeribitSettings) {
        var sc = DeribitSimulatorConfig()
        sc.stepMilliseconds = settings.simulatorStepMilliseconds
        sc.minHeartbeatSeconds = 1
        if let id = settings.feed.clientID, let secret = settings.feed.clientSecret {
            sc.clientID = id
            sc.clientSecret = secret
        }
        return (try DeribitSimulator(config: sc, clock: context.clock), settings)
    }

    public func faultTarget(_ settings: DeribitSettings) -> String { settings.feed.instruments.first ?? "BTC-PERPETUAL" }

    public var simulatedSettings: DeribitSettings {
        var s = DeribitSettings()
        s.enabled = true
        s.simulate = true
        s.feed.instruments = ["BTC-PERPETUAL", "ETH-PERPETUAL"]
        return s
    }
}

extension VenueSections {
    /// `feeds.deribit`.
    public var deribit: DeribitSettings {
        get { self[DeribitVenue()] }
        set { self[DeribitVenue()] = newValue }
    }
}
