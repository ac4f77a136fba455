import ArgumentParser
import Foundation
import HubCore

/// `venue-sim coinbase`: the Coinbase simulator on loopback until SIGINT/SIGTERM.
public struct CoinbaseSimulatorCommand: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "coinbase", abstract: "Coinbase Advanced Trade market data (heartbeats, ticker, market_trades, level2) at /.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port = 9103
    @Option(name: .customLong("step-ms"), help: "Market step in milliseconds.") var stepMilliseconds = 100
    @Option(help: "Random seed.") var seed: UInt64 = 11
    @Option(help: "Products with a starting price, e.g. BTC-USD=65000 (repeatable).") var product: [String] = ["BTC-USD=65000", "ETH-USD=3200"]

    public func validate() throws {
        try validateListen(port: port, stepMilliseconds: stepMilliseconds)
        for s in product {
            let kv = s.split(separator: "=")
            guard kv.count == 2, !kv[0].isEmpty, let p = Double(kv[1]), p > 0 else { throw ValidationError("--product must be PRODUCT=PRICE, not '\(s)'") }
        }
    }

    public func run() throws {
        var c = CoinbaseSimulatorConfig()
        c.host = host
        c.port = port
        c.stepMilliseconds = stepMilliseconds
        c.seed = seed
        c.products = Dictionary(
            product.map { s in
                let kv = s.split(separator: "=")
                return (String(kv[0]).uppercased(), Double(kv[1])!)
            }, uniquingKeysWith: { a, _ in a })
        try serveUntilSignalled({ try CoinbaseSimulator(config: c) }) { sim in
            "coinbase simulator on \(sim.url) (products: \(c.products.keys.sorted().joined(separator: ", ")))"
        }
    }
}
