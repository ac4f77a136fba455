import ArgumentParser
import Foundation
import HubCore

/// Binance spot: combined streams (ticker, trades, diff depth) with REST depth snapshots.
public struct BinanceVenue: SimulatedVenue {
    public init() {}
    public let id = "binance"
    public var schema: VenueSchema { BinanceField.schema }
    public let propertiesFiles = ["exchange.yaml"]

    public func endpoint(_ settings: BinanceSettings) -> String { settings.url + BinanceFeed.streamPath(settings.feed) }

    public func adapter(_ settings: BinanceSettings) -> FeedAdapter { BinanceFeed(config: settings.feed) }

    /// A recording's connection names its streams (`?streams=btcusdt@depth@100ms/…`): their
    /// symbols are the ones replayed.
    public func replayAdapter(_ settings: BinanceSettings, recordedURL: String?) -> FeedAdapter {
        var fc = settings.feed
        if let url = recordedURL, let streams = URLComponents(string: url)?.queryItems?.first(where: { $0.name == "streams" })?.value {
            let names = Set(streams.split(separator: "/").map { String($0.split(separator: "@")[0]).uppercased() })
            let symbols = BinanceSymbols()
            fc.symbols = names.sorted().map { symbols.unified($0) }
        }
        return BinanceFeed(config: fc)
    }

    public var simulatorCommand: any ParsableCommand.Type { BinanceSimulatorCommand.self }

    public func simulator(for settings: BinanceSettings, _ context: SimulationContext) throws -> (BinanceSimulator, BinanceSettings) {
        var sc = BinanceSimulatorConfig()
        sc.symbols = Dictionary(
            settings.feed.symbols.map { (BinanceSymbols.venue($0), context.startingPrice(ofUnified: $0)) }, uniquingKeysWith: { a, _ in a })
        sc.stepMilliseconds = settings.simulatorStepMilliseconds
        let sim = try BinanceSimulator(config: sc, clock: context.clock)
        var pointed = settings
        pointed.feed.restURL = sim.restURL
        return (sim, pointed)
    }

    public func faultTarget(_ settings: BinanceSettings) -> String { BinanceSymbols.venue(settings.feed.symbols.first ?? "BTC/USDT") }

    public var simulatedSettings: BinanceSettings {
        var s = BinanceSettings()
        s.enabled = true
        s.simulate = true
        s.feed.symbols = ["BTC/USDT", "ETH/USDT"]
        return s
    }
}

extension VenueSections {
    /// `feeds.binance`.
    public var binance: BinanceSettings {
        get { self[BinanceVenue()] }
        set { self[BinanceVenue()] = newValue }
    }
}
