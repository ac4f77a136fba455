import ArgumentParser
import Foundation
import HubCore

/// A Binance market as a venue: combined streams (ticker, trades, diff depth — and on futures
/// mark price and funding) with REST depth snapshots. `BinanceVenue` is spot;
/// `BinanceFuturesVenue` (Sources/Venues/BinanceFutures/) is USDⓈ-M futures.
public struct BinanceVenueOf<Kind: BinanceMarketKind>: SimulatedVenue {
    public init() {}
    public var id: String { Kind.market.id }
    public var schema: VenueSchema { BinanceField.schema(Kind.market) }
    /// Spot's fields are the shared exchange vocabulary; futures add `derivatives.yaml`.
    public var propertiesFiles: [String] { Kind.market.hasMarkPrice ? ["exchange.yaml", "derivatives.yaml"] : ["exchange.yaml"] }

    public func endpoint(_ settings: BinanceSettingsOf<Kind>) -> String { settings.url + BinanceFeed.streamPath(settings.feed) }

    public func adapter(_ settings: BinanceSettingsOf<Kind>) -> FeedAdapter { BinanceFeed(config: settings.feed) }

    /// A recording's connection names its streams (`?streams=btcusdt@depth@100ms/…`): their
    /// symbols are the ones replayed.
    public func replayAdapter(_ settings: BinanceSettingsOf<Kind>, recordedURL: String?) -> FeedAdapter {
        var fc = settings.feed
        if let url = recordedURL, let streams = URLComponents(string: url)?.queryItems?.first(where: { $0.name == "streams" })?.value {
            let names = Set(streams.split(separator: "/").map { String($0.split(separator: "@")[0]).uppercased() })
            let symbols = BinanceSymbols(settles: Kind.market.settles)
            fc.symbols = names.sorted().map { symbols.unified($0) }
        }
        return BinanceFeed(config: fc)
    }

    public var simulatorCommand: any ParsableCommand.Type { BinanceSimulatorCommand<Kind>.self }

    public func simulator(for settings: BinanceSettingsOf<Kind>, _ context: SimulationContext) throws -> (BinanceSimulator, BinanceSettingsOf<Kind>) {
        var sc = BinanceSimulatorConfig(market: Kind.market)
        sc.symbols = Dictionary(
            settings.feed.symbols.map { (BinanceSymbols.venue($0), context.startingPrice(ofUnified: $0)) }, uniquingKeysWith: { a, _ in a })
        sc.stepMilliseconds = settings.simulatorStepMilliseconds
        let sim = try BinanceSimulator(config: sc, clock: context.clock)
        var pointed = settings
        pointed.feed.restURL = sim.restURL
        return (sim, pointed)
    }

    public func faultTarget(_ settings: BinanceSettingsOf<Kind>) -> String {
        BinanceSymbols.venue(settings.feed.symbols.first ?? Kind.market.symbolExample)
    }

    public var simulatedSettings: BinanceSettingsOf<Kind> {
        var s = BinanceSettingsOf<Kind>()
        s.enabled = true
        s.simulate = true
        return s
    }
}

/// Binance spot.
public typealias BinanceVenue = BinanceVenueOf<BinanceSpot>

extension VenueSections {
    /// `feeds.binance`.
    public var binance: BinanceSettings {
        get { self[BinanceVenue()] }
        set { self[BinanceVenue()] = newValue }
    }
}
