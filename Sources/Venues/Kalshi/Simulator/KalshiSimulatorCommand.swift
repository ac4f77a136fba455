import ArgumentParser
import Foundation
import HubCore

/// `venue-sim kalshi`: the Kalshi simulator on loopback until SIGINT/SIGTERM.
public struct KalshiSimulatorCommand: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "kalshi", abstract: "Kalshi trade API v2 (/trade-api/ws/v2): signed login, order books with seq per sid, tickers, trades.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port = 9105
    @Option(name: .customLong("step-ms"), help: "Market step in milliseconds.") var stepMilliseconds = 100
    @Option(help: "Random seed.") var seed: UInt64 = 17
    @Option(help: "Market tickers with a starting YES probability, e.g. FED-23DEC-T3.00=0.48 (repeatable).") var market: [String] = []
    @Option(name: .customLong("key-id"), help: "The API key id clients must log in with.") var keyID = "sim-key"
    @Option(name: .customLong("public-key"), help: "The key's RSA public key file (PEM) that signatures are checked with.") var publicKeyFile: String
    @Flag(name: .customLong("legacy-cents"), help: "Send the older integer-cent fields instead of fixed-point dollar strings.") var legacyCents = false

    public func validate() throws {
        try validateListen(port: port, stepMilliseconds: stepMilliseconds)
        for s in market {
            let kv = s.split(separator: "=")
            guard kv.count == 2, let p = Double(kv[1]), p > 0, p < 1 else { throw ValidationError("--market must be TICKER=PROBABILITY, not '\(s)'") }
        }
        guard let pem = try? String(contentsOfFile: publicKeyFile, encoding: .utf8), pem.contains("PUBLIC KEY") else {
            throw ValidationError("--public-key: cannot read an RSA public key (PEM) from '\(publicKeyFile)'")
        }
    }

    public func run() throws {
        var c = KalshiSimulatorConfig()
        c.host = host
        c.port = port
        c.stepMilliseconds = stepMilliseconds
        c.seed = seed
        c.keyID = keyID
        c.publicKeyPEM = try String(contentsOfFile: publicKeyFile, encoding: .utf8)
        c.legacyCents = legacyCents
        if !market.isEmpty {
            c.markets = Dictionary(
                market.map { s in
                    let kv = s.split(separator: "=")
                    return (String(kv[0]), Double(kv[1])!)
                }, uniquingKeysWith: { a, _ in a })
        }
        try serveUntilSignalled({ try KalshiSimulator(config: c) }) { sim in
            "kalshi simulator on \(sim.url) (markets: \(c.markets.keys.sorted().joined(separator: ", ")); key id \(keyID))"
        }
    }
}
