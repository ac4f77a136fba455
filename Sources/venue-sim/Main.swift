import ArgumentParser
import Foundation
import VenueSimulators

/// `venue-sim deribit --port 9101`: a venue simulator on loopback, until SIGINT/SIGTERM.
@main
struct VenueSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "venue-sim", abstract: "Venue simulators that speak each venue's real protocol.",
        subcommands: [DeribitCommand.self, BinanceCommand.self, CoinbaseCommand.self, PolymarketCommand.self, KalshiCommand.self, OrcaCommand.self])
}

struct DeribitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "deribit", abstract: "Deribit JSON-RPC 2.0 over WebSocket (/ws/api/v2).")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port = 9101
    @Option(name: .customLong("step-ms"), help: "Market step in milliseconds.") var stepMilliseconds = 100
    @Option(help: "Random seed.") var seed: UInt64 = 42
    @Option(name: .customLong("min-heartbeat"), help: "Smallest accepted heartbeat interval (s).") var minHeartbeat = 10

    func validate() throws {
        try validateListen(port: port, stepMilliseconds: stepMilliseconds)
        guard minHeartbeat >= 1 else { throw ValidationError("--min-heartbeat must be at least 1") }
    }

    func run() throws {
        var c = DeribitSimulatorConfig()
        c.host = host
        c.port = port
        c.stepMilliseconds = stepMilliseconds
        c.seed = seed
        c.minHeartbeatSeconds = minHeartbeat
        let sim = try serveUntilSignalled({ try DeribitSimulator(config: c) }) { sim in "deribit simulator on \(sim.url) (instruments: \(sim.instrumentNames.joined(separator: ", ")))" }
        while !sim.isStopped { usleep(1000) }
    }
}

struct BinanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "binance", abstract: "Binance spot combined streams (/stream?streams=…) and REST depth snapshots (/api/v3/depth).")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port = 9102
    @Option(name: .customLong("step-ms"), help: "Market step in milliseconds.") var stepMilliseconds = 100
    @Option(help: "Random seed.") var seed: UInt64 = 7
    @Option(help: "Venue symbols with a starting price, e.g. BTCUSDT=65000 (repeatable).") var symbol: [String] = ["BTCUSDT=65000", "ETHUSDT=3200"]

    func validate() throws {
        try validateListen(port: port, stepMilliseconds: stepMilliseconds)
        for s in symbol {
            let kv = s.split(separator: "=")
            guard kv.count == 2, !kv[0].isEmpty, let p = Double(kv[1]), p > 0 else { throw ValidationError("--symbol must be SYMBOL=PRICE, not '\(s)'") }
        }
    }

    func run() throws {
        var c = BinanceSimulatorConfig()
        c.host = host
        c.port = port
        c.stepMilliseconds = stepMilliseconds
        c.seed = seed
        c.symbols = Dictionary(symbol.map { s in let kv = s.split(separator: "="); return (String(kv[0]).uppercased(), Double(kv[1])!) }, uniquingKeysWith: { a, _ in a })
        try serveUntilSignalled({ try BinanceSimulator(config: c) }) { sim in "binance simulator on \(sim.url)/stream?streams=… and \(sim.restURL)/api/v3/depth (symbols: \(c.symbols.keys.sorted().joined(separator: ", ")))" }
    }
}

struct CoinbaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coinbase", abstract: "Coinbase Advanced Trade market data (heartbeats, ticker, market_trades, level2) at /.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port = 9103
    @Option(name: .customLong("step-ms"), help: "Market step in milliseconds.") var stepMilliseconds = 100
    @Option(help: "Random seed.") var seed: UInt64 = 11
    @Option(help: "Products with a starting price, e.g. BTC-USD=65000 (repeatable).") var product: [String] = ["BTC-USD=65000", "ETH-USD=3200"]

    func validate() throws {
        try validateListen(port: port, stepMilliseconds: stepMilliseconds)
        for s in product {
            let kv = s.split(separator: "=")
            guard kv.count == 2, !kv[0].isEmpty, let p = Double(kv[1]), p > 0 else { throw ValidationError("--product must be PRODUCT=PRICE, not '\(s)'") }
        }
    }

    func run() throws {
        var c = CoinbaseSimulatorConfig()
        c.host = host
        c.port = port
        c.stepMilliseconds = stepMilliseconds
        c.seed = seed
        c.products = Dictionary(product.map { s in let kv = s.split(separator: "="); return (String(kv[0]).uppercased(), Double(kv[1])!) }, uniquingKeysWith: { a, _ in a })
        try serveUntilSignalled({ try CoinbaseSimulator(config: c) }) { sim in "coinbase simulator on \(sim.url) (products: \(c.products.keys.sorted().joined(separator: ", ")))" }
    }
}

struct PolymarketCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "polymarket", abstract: "Polymarket CLOB market channel (/ws/market): books, price changes, trades, PING/PONG.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port = 9104
    @Option(name: .customLong("step-ms"), help: "Market step in milliseconds.") var stepMilliseconds = 100
    @Option(help: "Random seed.") var seed: UInt64 = 13
    @Option(help: "Outcome token ids with a starting probability, e.g. 1234=0.42 (repeatable; default: two tokens).") var asset: [String] = []

    func validate() throws {
        try validateListen(port: port, stepMilliseconds: stepMilliseconds)
        for s in asset {
            let kv = s.split(separator: "=")
            guard kv.count == 2, kv[0].allSatisfy(\.isNumber), let p = Double(kv[1]), p > 0, p < 1 else { throw ValidationError("--asset must be TOKEN_ID=PROBABILITY, not '\(s)'") }
        }
    }

    func run() throws {
        var c = PolymarketSimulatorConfig()
        c.host = host
        c.port = port
        c.stepMilliseconds = stepMilliseconds
        c.seed = seed
        if !asset.isEmpty { c.assets = Dictionary(asset.map { s in let kv = s.split(separator: "="); return (String(kv[0]), Double(kv[1])!) }, uniquingKeysWith: { a, _ in a }) }
        try serveUntilSignalled({ try PolymarketSimulator(config: c) }) { sim in "polymarket simulator on \(sim.url) (tokens: \(c.assets.keys.sorted().joined(separator: ", ")))" }
    }
}

struct KalshiCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kalshi", abstract: "Kalshi trade API v2 (/trade-api/ws/v2): signed login, order books with seq per sid, tickers, trades.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port = 9105
    @Option(name: .customLong("step-ms"), help: "Market step in milliseconds.") var stepMilliseconds = 100
    @Option(help: "Random seed.") var seed: UInt64 = 17
    @Option(help: "Market tickers with a starting YES probability, e.g. FED-23DEC-T3.00=0.48 (repeatable).") var market: [String] = []
    @Option(name: .customLong("key-id"), help: "The API key id clients must log in with.") var keyID = "sim-key"
    @Option(name: .customLong("public-key"), help: "The key's RSA public key file (PEM) that signatures are checked with.") var publicKeyFile: String
    @Flag(name: .customLong("legacy-cents"), help: "Send the older integer-cent fields instead of fixed-point dollar strings.") var legacyCents = false

    func validate() throws {
        try validateListen(port: port, stepMilliseconds: stepMilliseconds)
        for s in market {
            let kv = s.split(separator: "=")
            guard kv.count == 2, let p = Double(kv[1]), p > 0, p < 1 else { throw ValidationError("--market must be TICKER=PROBABILITY, not '\(s)'") }
        }
        guard let pem = try? String(contentsOfFile: publicKeyFile, encoding: .utf8), pem.contains("PUBLIC KEY") else {
            throw ValidationError("--public-key: cannot read an RSA public key (PEM) from '\(publicKeyFile)'")
        }
    }

    func run() throws {
        var c = KalshiSimulatorConfig()
        c.host = host
        c.port = port
        c.stepMilliseconds = stepMilliseconds
        c.seed = seed
        c.keyID = keyID
        c.publicKeyPEM = try String(contentsOfFile: publicKeyFile, encoding: .utf8)
        c.legacyCents = legacyCents
        if !market.isEmpty { c.markets = Dictionary(market.map { s in let kv = s.split(separator: "="); return (String(kv[0]), Double(kv[1])!) }, uniquingKeysWith: { a, _ in a }) }
        try serveUntilSignalled({ try KalshiSimulator(config: c) }) { sim in "kalshi simulator on \(sim.url) (markets: \(c.markets.keys.sorted().joined(separator: ", ")); key id \(keyID))" }
    }
}

struct OrcaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orca", abstract: "ORCA odds stream orca.v1 (/orca/v1/stream, docs/feeds/orca.md): snapshots, numbered deltas, heartbeats, resume.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port = 9106
    @Option(name: .customLong("step-ms"), help: "Market step in milliseconds.") var stepMilliseconds = 100
    @Option(name: .customLong("heartbeat-ms"), help: "Heartbeat period in milliseconds.") var heartbeatMs = 5000
    @Option(help: "Deltas kept per stream for resuming.") var retention = 10_000
    @Option(help: "Random seed.") var seed: UInt64 = 23

    func validate() throws {
        try validateListen(port: port, stepMilliseconds: stepMilliseconds)
        guard (100...60_000).contains(heartbeatMs) else { throw ValidationError("--heartbeat-ms must be between 100 and 60000") }
        guard (1...1_000_000).contains(retention) else { throw ValidationError("--retention must be between 1 and 1000000") }
    }

    func run() throws {
        var c = OrcaSimulatorConfig()
        c.host = host
        c.port = port
        c.stepMilliseconds = stepMilliseconds
        c.heartbeatMs = heartbeatMs
        c.retention = retention
        c.seed = seed
        try serveUntilSignalled({ try OrcaSimulator(config: c) }) { sim in "orca simulator on \(sim.url) (streams: \(c.streams.joined(separator: ", ")))" }
    }
}

/// SIGINT/SIGTERM are waited for, not delivered.
/// The options every simulator has.
func validateListen(port: Int, stepMilliseconds: Int) throws {
    guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    guard (10...60_000).contains(stepMilliseconds) else { throw ValidationError("--step-ms must be between 10 and 60000") }
}

/// Builds the simulator with SIGINT/SIGTERM blocked (its threads inherit that), starts it,
/// prints its banner, serves until a signal, stops it and returns it.
@discardableResult
func serveUntilSignalled<S: VenueSimulator>(_ make: () throws -> S, banner: (S) -> String) throws -> S {
    let signals = blockShutdownSignals()
    let sim = try make()
    sim.start()
    print(banner(sim))
    waitForShutdown(signals)
    sim.stop()
    return sim
}

func blockShutdownSignals() -> sigset_t {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    pthread_sigmask(SIG_BLOCK, &set, nil)
    return set
}

func waitForShutdown(_ set: sigset_t) {
    var s = set
    var sig: Int32 = 0
    sigwait(&s, &sig)
}
