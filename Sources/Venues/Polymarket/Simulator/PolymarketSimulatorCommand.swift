import ArgumentParser
import Foundation
import HubCore

/// `venue-sim polymarket`: the Polymarket simulator on loopback until SIGINT/SIGTERM.
public struct PolymarketSimulatorCommand: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "polymarket", abstract: "Polymarket CLOB market channel (/ws/market): books, price changes, trades, PING/PONG.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port = 9104
    @Option(name: .customLong("step-ms"), help: "Market step in milliseconds.") var stepMilliseconds = 100
    @Option(help: "Random seed.") var seed: UInt64 = 13
    @Option(help: "Outcome token ids with a starting probability, e.g. 1234=0.42 (repeatable; default: two tokens).") var asset: [String] = []

    public func validate() throws {
        try validateListen(port: port, stepMilliseconds: stepMilliseconds)
        for s in asset {
            let kv = s.split(separator: "=")
            guard kv.count == 2, kv[0].allSatisfy(\.isNumber), let p = Double(kv[1]), p > 0, p < 1 else {
                throw ValidationError("--asset must be TOKEN_ID=PROBABILITY, not '\(s)'")
            }
        }
    }

    public func run() throws {
        var c = PolymarketSimulatorConfig()
        c.host = host
        c.port = port
        c.stepMilliseconds = stepMilliseconds
        c.seed = seed
        if !asset.isEmpty {
            c.assets = Dictionary(
                asset.map { s in
                    let kv = s.split(separator: "=")
                    return (String(kv[0]), Double(kv[1])!)
                }, uniquingKeysWith: { a, _ in a })
        }
        try serveUntilSignalled({ try PolymarketSimulator(config: c) }) { sim in
            "polymarket simulator on \(sim.url) (tokens: \(c.assets.keys.sorted().joined(separator: ", ")))"
        }
    }
}
