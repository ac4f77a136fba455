import ArgumentParser
import Foundation
import HubCore

/// `venue-sim binance`: the Binance simulator on loopback until SIGINT/SIGTERM.
public struct BinanceSimulatorCommand: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "binance", abstract: "Binance spot combined streams (/stream?streams=…) and REST depth snapshots (/api/v3/depth).")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port = 9102
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
        var c = BinanceSimulatorConfig()
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
            "binance simulator on \(sim.url)/stream?streams=… and \(sim.restURL)/api/v3/depth (symbols: \(c.symbols.keys.sorted().joined(separator: ", ")))"
        }
    }
}
