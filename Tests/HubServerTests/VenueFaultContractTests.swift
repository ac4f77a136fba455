import Foundation
import HubCore
import HubServer
import HubTesting
import Venues
import XCTest

/// The fault script every venue passes: a sequence gap, a malformed frame, values out of range,
/// an oversized frame, a dropped connection and silence — each detected, counted and recovered
/// from, while another source keeps flowing untouched. It runs against every venue of the
/// registry with its simulator, so a new venue is held to it by being listed. Waits are on feed
/// events; silence is crossed by moving the hub's clock past the staleness limit, not by
/// sleeping through it.
final class VenueFaultContractTests: XCTestCase {
    /// Every venue of the registry, one after the other, each in a hub of its own.
    func testEveryVenueOfTheRegistryPassesTheFaultScript() throws {
        XCTAssertFalse(VenueRegistry.all.isEmpty)
        for venue in VenueRegistry.all {
            do { try runScript(venue) } catch { XCTFail("\(venue.id): \(error)") }
        }
    }

    /// State the silence step's waiter keeps between feed events (it runs on the loop thread).
    private final class SilenceWatch: @unchecked Sendable {
        var messages: UInt64 = 0
        var jumps = 0
        var reason: String?
    }

    func runScript(_ venue: any SimulatedVenue) throws {
        let v = venue.id
        // The witness: another source whose staleness limit no jump of the clock reaches.
        let witness = v == "coinbase" ? "deribit" : "coinbase"
        let clock = ManualClock(running: true)
        let hub = try TestHub(clock: clock) { c in
            venue.enableSimulated(in: &c.feeds.venues)
            c.feeds.maxFrameBytes = 1 << 20
            if witness == "coinbase" {
                CoinbaseVenue().enableSimulated(in: &c.feeds.venues)
                c.feeds.venues.coinbase.feed.symbols = ["BTC/USD"]
                c.feeds.venues.coinbase.feed.staleAfterSeconds = 1e9
            } else {
                DeribitVenue().enableSimulated(in: &c.feeds.venues)
                c.feeds.venues.deribit.feed.staleAfterSeconds = 1e9
            }
        }
        defer { hub.stop() }
        let target = venue.faultTarget(in: hub.server.config.feeds.venues)
        let sim = try XCTUnwrap(hub.simulation.simulators[v], v)
        func report(_ name: String) -> SourceReport { hub.sync { $0.sourceReport(name)! } }
        func waitFor(_ what: String, timeout: Double = 15, _ condition: @escaping @Sendable (SourceReport) -> Bool) throws {
            do {
                try hub.waitForSource(v, timeout: timeout, what, condition)
            } catch {
                XCTFail("\(v): \(what); the source: \(report(v))")
                throw error
            }
        }
        try waitFor("live") { $0.state == "live" }
        try hub.waitForSource(witness, timeout: 15, "live") { $0.state == "live" }

        // A lost message: the sequence (or consistency) check sees the gap and resynchronises.
        sim.inject(.gap(instrument: target))
        try waitFor("gap detected and resynchronised") { $0.gaps >= 1 && $0.resyncs >= 1 }
        try waitFor("live after the gap") { $0.state == "live" }

        // Malformed JSON: counted, skipped; the connection stays.
        let errors = report(v).decodeErrors
        sim.inject(.malformedFrame)
        try waitFor("decode error counted") { $0.decodeErrors == errors + 1 }
        XCTAssertEqual(report(v).reconnects, 0, "\(v): a bad frame is no reason to reconnect")

        // Values that decode but must not validate: quarantined, never served.
        sim.inject(.outOfRange(instrument: target))
        try hub.wait(timeout: 15, "\(v): values quarantined") { s in !(s.pipeline.transform.quarantinedBy[v] ?? [:]).isEmpty }

        // Over feeds.maxFrameBytes: counted with the decode errors, a fresh session.
        sim.inject(.oversizedFrame(bytes: 2 << 20))
        try waitFor("oversized frame counted, reconnected, live") { $0.decodeErrors == errors + 2 && $0.reconnects == 1 && $0.state == "live" }

        // A dropped connection: reconnected with backoff, live again.
        sim.inject(.dropConnections)
        try waitFor("reconnected after the drop") { $0.reconnects == 2 && $0.state == "live" }

        // Silence past the staleness limit: the hub's clock jumps an hour while the venue says
        // nothing, and the periodic check finds the feed stale. A frame still in flight when the
        // silence began moves the last-message time past the jump; then the clock jumps again —
        // a few times at most (a venue with several streams can have several frames in flight,
        // read in separate wake-ups), so a venue that kept talking would never look stale and this
        // would fail.
        sim.inject(.silence(seconds: 1e7))
        let watch = SilenceWatch()
        watch.messages = report(v).messages
        clock.advance(by: 3_600)
        try hub.wait(timeout: 15, "\(v): stale feed reconnected") { s in
            let r = s.sourceReport(v)!
            if r.reconnects >= 3 {
                watch.reason = r.lastError
                return true
            }
            if r.messages != watch.messages && watch.jumps < 8 {
                watch.messages = r.messages
                watch.jumps += 1
                clock.advance(by: 3_600)
            }
            return false
        }
        XCTAssertTrue(watch.reason?.contains("stale") ?? false, "\(v): reconnected for staleness, not \(watch.reason ?? "nothing")")
        sim.inject(.silence(seconds: 0))
        try waitFor("live after the silence") { $0.state == "live" }

        // The other source never noticed, and keeps flowing.
        let w = report(witness)
        XCTAssertEqual(w.reconnects, 0, "\(v): \(witness) reconnected")
        XCTAssertEqual(w.decodeErrors, 0, "\(v): \(witness) saw decode errors")
        try hub.waitForSource(witness, "still flowing") { $0.messages > w.messages }
    }
}
