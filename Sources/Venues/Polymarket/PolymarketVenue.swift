import ArgumentParser
import HubCore

/// Polymarket's CLOB market channel: outcome token books, price changes, trades.
public struct PolymarketVenue: SimulatedVenue {
    public init() {}
    public let id = "polymarket"
    public var schema: VenueSchema { PolymarketField.schema }
    public let propertiesFiles = ["prediction.yaml", "exchange.yaml"]

    public func adapter(_ settings: PolymarketSettings) -> FeedAdapter { PolymarketFeed(config: settings.feed) }

    public var simulatorCommand: any ParsableCommand.Type { PolymarketSimulatorCommand.self }

    public func simulator(for settings: PolymarketSettings, _ context: SimulationContext) throws -> (PolymarketSimulator, PolymarketSettings) {
        var sc = PolymarketSimulatorConfig()
        sc.assets = context.probabilities(venue: id, settings.feed.assets.map { ($0.id, $0.instrument) }, seed: 5)
        sc.stepMilliseconds = settings.simulatorStepMilliseconds
        return (try PolymarketSimulator(config: sc, clock: context.clock), settings)
    }

    public func faultTarget(_ settings: PolymarketSettings) -> String { settings.feed.assets.first?.id ?? "" }

    public var simulatedSettings: PolymarketSettings {
        var s = PolymarketSettings()
        s.enabled = true
        s.simulate = true
        s.feed.assets = [
            .init(id: "65818619657568813474341868652308942079804919287380422192892211131408793125422", name: "FED-CUT-YES", outcome: "Yes"),
            .init(id: "71321045679252212594626385532706912750332728571942532289631379312455583992563", name: "FED-CUT-NO", outcome: "No"),
        ]
        return s
    }
}

extension VenueSections {
    /// `feeds.polymarket`.
    public var polymarket: PolymarketSettings {
        get { self[PolymarketVenue()] }
        set { self[PolymarketVenue()] = newValue }
    }
}
