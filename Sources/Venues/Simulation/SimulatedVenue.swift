import ArgumentParser
import HubCore

/// A venue with a simulator in this repository that speaks its protocol byte for byte, so the
/// real adapter runs in demos and tests without internet.
public protocol SimulatedVenue: Venue {
    associatedtype Simulator: VenueSimulator

    /// `venue-sim <id>`: the simulator as a command line.
    var simulatorCommand: any ParsableCommand.Type { get }

    /// Makes (not starts) a simulator for `settings`, and the settings pointed at it.
    func simulator(for settings: Settings, _ context: SimulationContext) throws -> (Simulator, Settings)

    /// The simulator's name for the instrument (or stream) that `.gap` and `.outOfRange` faults
    /// hit under `settings`: the fault script every venue passes uses it.
    func faultTarget(_ settings: Settings) -> String

    /// A section that runs the venue against its simulator — enabled, `simulate: true`, with
    /// instruments the simulator knows — from which the fault script starts.
    var simulatedSettings: Settings { get }
}

extension SimulatedVenue {
    /// Puts this venue's `simulatedSettings` into `sections`.
    public func enableSimulated(in sections: inout VenueSections) { sections[self] = simulatedSettings }

    /// `faultTarget` for this venue's section in `sections`.
    public func faultTarget(in sections: VenueSections) -> String { faultTarget(sections[self]) }
}

extension SimulatedVenue {
    /// When this venue's section is enabled with `simulate: true`: its simulator started, and the
    /// section rewritten to connect to it (`simulate` cleared: the hub connects to `url`).
    func simulate(_ sections: inout VenueSections, _ context: SimulationContext) throws -> (any VenueSimulator)? {
        let settings = sections[self]
        guard settings.enabled, settings.simulate else { return nil }
        var (sim, pointed) = try simulator(for: settings, context)
        sim.start()
        pointed.url = sim.url
        pointed.simulate = false
        sections[self] = pointed
        return sim
    }
}

/// What a simulator is started from besides its venue's settings.
public struct SimulationContext: Sendable {
    /// Instrument and event mappings, so simulated markets of one mapping start alike.
    public var mappings: [InstrumentMapping]
    /// The simulators' clock (the hub's, in tests that drive time).
    public var clock: HubClock

    public init(mappings: [InstrumentMapping] = [], clock: HubClock = SystemClock()) {
        self.mappings = mappings
        self.clock = clock
    }

    /// Starting prices of well-known base currencies (others start at 100).
    public static let knownPrices: [String: Double] = ["BTC": 65_000, "ETH": 3_200, "SOL": 150, "BNB": 580, "XRP": 0.6, "DOGE": 0.15]

    /// The starting price of a unified symbol's base currency (`BTC/USDT` → 65000).
    public func startingPrice(ofUnified symbol: String) -> Double {
        Self.knownPrices[String(symbol.split(separator: "/").first ?? "")] ?? 100
    }

    /// Simulated prediction markets that a mapping says are the same question start from the same
    /// probability (a `no` token from its complement), so the demo shows arbitrage only when the
    /// venues drift apart — as real ones do — not from the first tick. Nil when unmapped.
    public func probability(venue: String, instrument: String) -> Double? {
        for m in mappings where m.kind == .prediction {
            guard let member = m.members.first(where: { $0.venue == venue && $0.instrument == instrument }) else { continue }
            var h: UInt64 = 1_469_598_103_934_665_603
            for b in m.id.utf8 { h = (h ^ UInt64(b)) &* 1_099_511_628_211 }
            let p = 0.3 + Double(h % 40) / 100
            return member.side == "no" ? 1 - p : p
        }
        return nil
    }

    /// Starting probabilities for `instruments`: mapped ones aligned, the others drawn from `seed`.
    public func probabilities(venue: String, _ instruments: [(key: String, instrument: String)], seed: UInt64) -> [String: Double] {
        var rng = SplitMix64(seed: seed)
        return Dictionary(
            instruments.map { ($0.key, probability(venue: venue, instrument: $0.instrument) ?? 0.2 + Double(rng.next() % 60) / 100) },
            uniquingKeysWith: { a, _ in a })
    }
}
