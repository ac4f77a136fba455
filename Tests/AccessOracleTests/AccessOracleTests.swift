import Foundation
import HubCore
import HubServer
import HubTesting
import PropertyBased
import Testing
import Venues

/// The access oracle: random roles (allow/deny patterns with and without flags, tiers, property
/// rules, scopes, default roles among them), random flags (on/off, user ids, roles, rollouts,
/// constraints) and random subscriptions (exact, wildcard, `fields`, `since`) run through one
/// live hub — Binance and Coinbase simulators with an arbitrage held open, plus Deribit events
/// injected per case — and every reply, snapshot, live and recovered publication, state answer
/// and arbitrage listing is checked against `AccessModel`, which shares no code with the hub's
/// policy. `STREAMHUB_ORACLE_CASES` sets the number of cases (8 subscriptions each).
@Suite(.serialized)
struct AccessOracleTests {
    static let cases = ProcessInfo.processInfo.environment["STREAMHUB_ORACLE_CASES"].flatMap(Int.init) ?? 1250

    /// Not shrunk: a failure is reported as it happened (with its seed), since a live hub may
    /// not fail the same way on a rerun.
    @Test(.shrinking(false)) func everyDeliveryMatchesTheIndependentModel() async throws {
        let oracle = try OracleHub()
        defer { oracle.hub.stop() }
        let tally = Tally()
        await propertyCheck(count: Self.cases, input: OracleGen.oracleCase) { c in
            do { try oracle.run(c, tally) } catch { Issue.record("the case could not run: \(error)") }
        }
        let t = tally.snapshot
        print(
            "access oracle: \(t.cases) cases, \(t.subscriptions) subscriptions (\(t.accepted) accepted, \(t.refused) refused), "
                + "\(t.publications) publications, \(t.recoveries) recoveries, \(t.restAnswers) REST answers checked")
        #expect(t.subscriptions >= Self.cases * 8)
        #expect(t.publications > 0 && t.recoveries > 0 && t.accepted > 0 && t.refused > 0)
    }
}

/// Counts of what the oracle checked (printed at the end).
final class Tally: @unchecked Sendable {
    struct Counts { var cases = 0, subscriptions = 0, accepted = 0, refused = 0, publications = 0, recoveries = 0, restAnswers = 0 }
    private let lock = NSLock()
    private var counts = Counts()
    func add(_ body: (inout Counts) -> Void) { lock.withLock { body(&counts) } }
    var snapshot: Counts { lock.withLock { counts } }
}
