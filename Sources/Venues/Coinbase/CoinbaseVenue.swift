import ArgumentParser
import HubCore

/// Coinbase Advanced Trade market data: ticker, market trades, level2 books.
public struct CoinbaseVenue: SimulatedVenue {
    public init() {}
    public let id = "coinbase"
    public var schema: VenueSchema { CoinbaseField.schema }
    public let propertiesFiles = ["exchange.yaml"]

    public func adapter(_ settings: CoinbaseSettings) -> FeedAdapter { CoinbaseFeed(config: settings.feed) }

    public var simulatorCommand: any ParsableCommand.Type { CoinbaseSimulatorCommand.self }

    public func simulator(for settings: CoinbaseSettings, _ context: SimulationContext) throws -> (CoinbaseSimulator, CoinbaseSettings) {
        var sc = CoinbaseSimulatorConfig()
        sc.products = Dictionary(
            settings.feed.symbols.map { (CoinbaseFeedConfig.product($0), context.startingPrice(ofUnified: $0)) }, uniquingKeysWith: { a, _ in a })
        sc.stepMilliseconds = settings.simulatorStepMilliseconds
        sc.dislocationEverySeconds = settings.simulatorDislocationEverySeconds
        return (try CoinbaseSimulator(config: sc, clock: context.clock), settings)
    }

    public func faultTarget(_ settings: CoinbaseSettings) -> String { CoinbaseFeedConfig.product(settings.feed.symbols.first ?? "BTC/USD") }

    public var simulatedSettings: CoinbaseSettings {
        var s = CoinbaseSettings()
        s.enabled = true
        s.simulate = true
        s.feed.symbols = ["BTC/USD", "ETH/USD"]
        return s
    }
}

extension VenueSections {
    /// `feeds.coinbase`.
    public var coinbase: CoinbaseSettings {
        get { self[CoinbaseVenue()] }
        set { self[CoinbaseVenue()] = newValue }
    }
}
