import ArgumentParser
import Foundation
import HubCore

/// `venue-sim binance` (`binance-futures`): the Binance simulator of a market on loopback until
/// SIGINT/SIGTERM.
public struct BinanceSimulatorCommand<Kind: BinanceMarketKind>: ParsableCommand {
    public init() {}

    public static var configuration: CommandConfiguration {
        let m = Kind.market
        let name = m.settles ? "Binance USDⓈ-M futures" : "Binance spot"
        return CommandConfiguration(commandName: m.id, abstract: "\(name) combined streams (/stream?streams=…) and REST depth snapshots (\(m.depthPath)).")
    }

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port; binance 9102, binance-futures 9107).") var port = Kind.market.settles ? 9107 : 9102
    @Option(name: .customLong("step-ms"), help: "Market step in milliseconds.") var stepMilliseconds = 100
    @Option(help: "Random seed.") var seed: UInt64 = 7
    @Option(help: "Venue symbols with a starting price, e.g. BTCUSDT=65000 (repeatable).") var symbol: [String] = ["BTCUSDT=65000", "ETHUSDT=3200"]

    public func validate() throws {
        try validateListen(port: port, stepMilliseconds: stepMilliseconds)
        for s in symbol {
            let kv = s.split(separator: "=")
            guard kv.count == 2, !kv[0].isEmpty, let p = Double(kv[1]), p > 0 else { throw ValidationError("--symbol must be SYMBOL=PRICE, not '\(s)'") }
        }
    }

    public func run() throws {
        var c = BinanceSimulatorConfig(market: Kind.market)
        c.host = host
        c.port = port
        c.stepMilliseconds = stepMilliseconds
        c.seed = seed
        c.symbols = Dictionary(
            symbol.map { s in
                let kv = s.split(separator: "=")
                return (String(kv[0]).uppercased(), Double(kv[1])!)
            }, uniquingKeysWith: { a, _ in a })
        try serveUntilSignalled({ try BinanceSimulator(config: c) }) { sim in
            "\(c.market.id) simulator on \(sim.url)/stream?streams=… and \(sim.restURL)\(c.market.depthPath) (symbols: \(c.symbols.keys.sorted().joined(separator: ", ")))"
        }
    }
}
