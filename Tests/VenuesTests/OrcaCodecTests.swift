import Foundation
import HubCore
import XCTest

@testable import Venues

/// ORCA `orca.v1`: every server message of docs/feeds/orca.md decodes (the page is read, so the
/// protocol definition and the decoder cannot drift apart), and the adapter's rules: snapshot,
/// deltas in seq order, gaps resumed from the last seq, heartbeats, removals published suspended.
final class OrcaCodecTests: XCTestCase {
    let codec = OrcaCodec()

    func decode(_ s: String) throws -> OrcaMessage {
        var b = Array(s.utf8)
        return try b.withUnsafeMutableBytes { try codec.decode(UnsafeRawBufferPointer($0)) }
    }

    /// The JSON examples of docs/feeds/orca.md: a block is one document or one per line.
    static func documentedMessages() throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/feeds/orca.md"), encoding: .utf8)
        var out: [String] = []
        for block in text.components(separatedBy: "```json\n").dropFirst() {
            let body = block.components(separatedBy: "\n```")[0]
            if (try? JSONSerialization.jsonObject(with: Data(body.utf8))) != nil {
                out.append(body)
            } else {
                out += body.split(separator: "\n").map(String.init)
            }
        }
        return out
    }

    func testEveryDocumentedServerMessageDecodes() throws {
        let messages = try Self.documentedMessages()
        var decoded: [OrcaMessage] = []
        for m in messages where m.contains(#""type""#) {
            XCTAssertNoThrow(decoded.append(try decode(m)), m)
        }
        XCTAssertEqual(decoded.count, 9)
        XCTAssertEqual(decoded[0], .hello(heartbeatMs: 5000, retention: 10000, streams: ["soccer", "basketball"]))
        XCTAssertEqual(decoded[1], .subscribed(id: 1, stream: "soccer", seq: 1200, resumed: false))
        guard case .snapshot("soccer", 1200, let events) = decoded[2], let e = events.first else { return XCTFail("snapshot") }
        XCTAssertEqual(e.eventId, "EPL-20261128-ARS-CHE")
        XCTAssertEqual(e.participants, ["Arsenal", "Chelsea"])
        XCTAssertEqual(e.commenceTime, 1_795_878_000_000)  // 2026-11-28T15:00:00Z
        XCTAssertEqual(e.markets.map(\.marketType), ["moneyline", "total"])
        XCTAssertEqual(e.markets[1].line, 2.5)
        XCTAssertEqual(e.markets[0].outcomes[0].prices[0], OrcaPrice(bookmaker: "pinnacle", decimal: 2.1, american: 110, updatedAt: 1_795_766_399_000))
        XCTAssertEqual(e.markets[1].outcomes[0].prices[0].american, -108)
        guard case .delta("soccer", 1201, let changes) = decoded[3] else { return XCTFail("delta") }
        XCTAssertEqual(
            changes[0],
            .price(
                eventId: "EPL-20261128-ARS-CHE", marketId: "ML", outcomeId: "home",
                OrcaPrice(bookmaker: "pinnacle", decimal: 2.08, american: 108, updatedAt: 1_795_766_400_490)))
        guard case .delta("soccer", 1202, let moves) = decoded[4] else { return XCTFail("line move") }
        guard case .market("EPL-20261128-ARS-CHE", let m) = moves[0] else { return XCTFail("market") }
        XCTAssertEqual(m.line, 3.0)
        XCTAssertEqual(moves[1], .marketRemoved(eventId: "EPL-20261128-ARS-CHE", marketId: "TOT-2.5"))
        XCTAssertEqual(moves[2], .eventStatus(eventId: "EPL-20261128-ARS-CHE", status: "live"))
        XCTAssertEqual(decoded[5], .heartbeat(seqs: ["soccer": 1202]))
        XCTAssertEqual(decoded[6], .unsubscribed(id: 2, stream: "soccer"))
        XCTAssertEqual(decoded[7], .pong(id: 3))
        XCTAssertEqual(decoded[8], .error(id: 1, code: "UNKNOWN_STREAM", message: "no stream 'curling'"))
    }

    func testBadMessagesAreErrors() {
        for bad in [
            #"{"type":"hello","protocol":"orca.v2","heartbeatMs":5000}"#,
            #"{"type":"hello","protocol":"orca.v1","heartbeatMs":0}"#,
            #"{"type":"delta","stream":"soccer","changes":[]}"#,
            #"{"type":"delta","stream":"soccer","seq":2,"changes":[{"kind":"price","eventId":"E","marketId":"ML","outcomeId":"home","bookmaker":"b","decimal":"x","american":1}]}"#,
            #"{"type":"snapshot","stream":"soccer","seq":1,"events":[{"eventId":"E","commenceTime":"tomorrow","status":"live"}]}"#,
            #"{"type":"snapshot","stream":"soccer","seq":1,"events":[{"eventId":"E","commenceTime":"2026-11-28T15:00:00Z","status":"live","markets":[{"marketId":"T","marketType":"total","line":"high"}]}]}"#,
            #"{"type":"heartbeat","seqs":{"soccer":"many"}}"#,
            #"{"type":"gossip"}"#, #"[]"#, #"{"type":"delta","#,
        ] {
            XCTAssertThrowsError(try decode(bad), bad)
        }
    }

    func testUnknownChangeKindsAndFractionalTimesDecode() throws {
        XCTAssertEqual(
            try decode(#"{"type":"delta","stream":"soccer","seq":2,"changes":[{"kind":"teleport"}]}"#),
            .delta(stream: "soccer", seq: 2, changes: [.unknown(kind: "teleport")]))
        guard
            case .snapshot(_, _, let events) = try decode(
                #"{"type":"snapshot","stream":"s","seq":1,"events":[{"eventId":"E","commenceTime":"2026-11-28T15:00:00.000Z","status":"live"}]}"#)
        else { return XCTFail("snapshot") }
        XCTAssertEqual(events.first?.commenceTime, 1_795_878_000_000)
    }

    // MARK: Adapter rules

    static let event =
        #"{"eventId":"E1","sport":"soccer","league":"EPL","participants":["A","B"],"commenceTime":"2026-11-28T15:00:00Z","status":"prematch","markets":[{"marketId":"ML","marketType":"moneyline","outcomes":[{"outcomeId":"home","name":"A","participant":"A","prices":[{"bookmaker":"pinnacle","decimal":"2.1000","american":110,"updatedAt":1000,"suspended":false},{"bookmaker":"bet365","decimal":"2.0500","american":105,"updatedAt":1000,"suspended":false}]},{"outcomeId":"away","name":"B","participant":"B","prices":[{"bookmaker":"pinnacle","decimal":"1.8000","american":-125,"updatedAt":1000,"suspended":false}]}]},{"marketId":"TOT-2.5","marketType":"total","line":"2.5","outcomes":[{"outcomeId":"over","name":"Over 2.5","prices":[{"bookmaker":"pinnacle","decimal":"1.9000","american":-111,"updatedAt":1000,"suspended":false}]}]}]}"#

    func feed(_ frames: [String], into adapter: OrcaFeed, now: UInt64 = 1) -> (events: [RawEvent], actions: [FeedAction]) {
        var events: [RawEvent] = [], actions: [FeedAction] = []
        for f in frames {
            var b = Array(f.utf8)
            actions += b.withUnsafeMutableBytes { adapter.received(UnsafeRawBufferPointer($0), now: now, wallMicros: 1_000_000) { events.append($0) } }
        }
        return (events, actions)
    }

    func field(_ e: RawEvent?, _ f: OrcaField) -> PropertyValue? { e?.fields.first { $0.key == f.rawValue }?.value }

    func price(_ seq: Int, _ decimal: String, book: String = "pinnacle") -> String {
        #"{"type":"delta","stream":"soccer","seq":\#(seq),"ts":1,"changes":[{"kind":"price","eventId":"E1","marketId":"ML","outcomeId":"home","bookmaker":"\#(book)","decimal":"\#(decimal)","american":100,"updatedAt":2000,"suspended":false}]}"#
    }

    func testSnapshotDeltasGapsAndResume() {
        var config = OrcaFeedConfig()
        config.streams = ["soccer"]
        let adapter = OrcaFeed(config: config)
        XCTAssertEqual(adapter.connected(now: 1), [])
        var out = feed(
            [#"{"type":"hello","protocol":"orca.v1","serverTime":1,"heartbeatMs":1000,"retention":100,"streams":["soccer","basketball"]}"#], into: adapter)
        XCTAssertEqual(out.actions, [.send(#"{"op":"subscribe","id":1,"stream":"soccer"}"#)])
        XCTAssertEqual(adapter.status.state, .connecting)
        out = feed(
            [
                #"{"type":"subscribed","id":1,"stream":"soccer","seq":10,"resumed":false}"#,
                #"{"type":"snapshot","stream":"soccer","seq":10,"ts":1,"events":[\#(Self.event)]}"#,
            ], into: adapter)
        XCTAssertEqual(adapter.status.state, .live)
        // One channel per (event, market, outcome, bookmaker), each quote whole.
        XCTAssertEqual(Set(out.events.map(\.instrument)), ["E1/ML/home/pinnacle", "E1/ML/home/bet365", "E1/ML/away/pinnacle", "E1/TOT-2.5/over/pinnacle"])
        let q = out.events.first { $0.instrument == "E1/TOT-2.5/over/pinnacle" }
        XCTAssertEqual(q?.stream, .odds)
        XCTAssertEqual(field(q, .oddsDecimal), .number(1.9))
        XCTAssertEqual(field(q, .oddsAmerican), .integer(-111))
        XCTAssertEqual(field(q, .line), .number(2.5))
        XCTAssertEqual(field(q, .marketType), .string("total"))
        XCTAssertEqual(field(q, .participant), .string("Over 2.5"))
        XCTAssertEqual(field(q, .commenceTime), .integer(1_795_878_000_000))
        XCTAssertEqual(field(q, .suspended), .bool(false))
        XCTAssertNil(field(out.events.first { $0.instrument == "E1/ML/home/pinnacle" }, .line))
        // In order: applied. A duplicate: ignored.
        out = feed([price(11, "2.2000"), price(11, "9.0000")], into: adapter)
        XCTAssertEqual(out.events.count, 1)
        XCTAssertEqual(field(out.events.first, .oddsDecimal), .number(2.2))
        // seq 13 after 11: a gap — resume from 11; the old subscription's deltas are ignored until answered.
        out = feed([price(13, "2.3000"), price(14, "2.4000")], into: adapter)
        XCTAssertEqual(out.actions, [.send(#"{"op":"subscribe","id":2,"stream":"soccer","fromSeq":11}"#)])
        XCTAssertTrue(out.events.isEmpty)
        XCTAssertEqual(adapter.status.gaps, 1)
        XCTAssertEqual(adapter.status.state, .degraded)
        out = feed(
            [#"{"type":"subscribed","id":2,"stream":"soccer","seq":14,"resumed":true}"#, price(12, "2.2500"), price(13, "2.3000"), price(14, "2.4000")],
            into: adapter)
        // The held quotes are published again on resuming (downstream may have set them aside), then the replay.
        XCTAssertEqual(out.events.count, 4 + 3)
        XCTAssertEqual(out.events.suffix(3).compactMap { field($0, .oddsDecimal) }, [.number(2.25), .number(2.3), .number(2.4)])
        XCTAssertEqual(adapter.status.resyncs, 1)
        XCTAssertEqual(adapter.status.state, .live)
        // A heartbeat ahead of the last applied seq: the tail was lost.
        out = feed([#"{"type":"heartbeat","ts":1,"seqs":{"soccer":15}}"#], into: adapter)
        XCTAssertEqual(out.actions, [.send(#"{"op":"subscribe","id":3,"stream":"soccer","fromSeq":14}"#)])
        XCTAssertEqual(adapter.status.gaps, 2)
        XCTAssertEqual(adapter.status.heartbeats, 1)
        _ = feed([#"{"type":"subscribed","id":3,"stream":"soccer","seq":15,"resumed":true}"#, price(15, "2.5000")], into: adapter)
        // A reconnect resumes from the last applied seq: the state is kept.
        adapter.disconnected(now: 2, reason: "test")
        XCTAssertEqual(adapter.status.state, .down)
        _ = adapter.connected(now: 3)
        out = feed([#"{"type":"hello","protocol":"orca.v1","serverTime":1,"heartbeatMs":1000,"retention":100,"streams":["soccer"]}"#], into: adapter, now: 3)
        XCTAssertEqual(out.actions, [.send(#"{"op":"subscribe","id":4,"stream":"soccer","fromSeq":15}"#)])
        _ = feed([#"{"type":"subscribed","id":4,"stream":"soccer","seq":15,"resumed":true}"#], into: adapter, now: 3)
        XCTAssertEqual(adapter.status.state, .live)
        XCTAssertEqual(adapter.events(in: "soccer").first?.markets[0].outcomes[0].prices[0].decimal, 2.5)
    }

    func testRemovalsStatusesAndVanishedQuotesArePublishedSuspended() {
        var config = OrcaFeedConfig()
        config.streams = ["soccer"]
        let adapter = OrcaFeed(config: config)
        _ = adapter.connected(now: 1)
        _ = feed(
            [
                #"{"type":"hello","protocol":"orca.v1","serverTime":1,"heartbeatMs":1000,"streams":[]}"#,
                #"{"type":"subscribed","id":1,"stream":"soccer","seq":1,"resumed":false}"#,
                #"{"type":"snapshot","stream":"soccer","seq":1,"ts":1,"events":[\#(Self.event)]}"#,
            ], into: adapter)
        var out = feed(
            [
                #"{"type":"delta","stream":"soccer","seq":2,"ts":1,"changes":[{"kind":"priceRemoved","eventId":"E1","marketId":"ML","outcomeId":"home","bookmaker":"bet365"}]}"#
            ], into: adapter)
        XCTAssertEqual(out.events.map(\.instrument), ["E1/ML/home/bet365"])
        XCTAssertEqual(field(out.events.first, .suspended), .bool(true))
        out = feed(
            [#"{"type":"delta","stream":"soccer","seq":3,"ts":1,"changes":[{"kind":"eventStatus","eventId":"E1","status":"suspended"}]}"#], into: adapter)
        XCTAssertEqual(out.events.count, 3)
        XCTAssertTrue(out.events.allSatisfy { field($0, .suspended) == .bool(true) && field($0, .eventStatus) == .string("suspended") })
        // A line move: the new market's quotes, then the old market's last quotes, suspended.
        out = feed(
            [
                #"{"type":"delta","stream":"soccer","seq":4,"ts":1,"changes":[{"kind":"eventStatus","eventId":"E1","status":"live"},{"kind":"market","eventId":"E1","market":{"marketId":"TOT-3.0","marketType":"total","line":"3.0","outcomes":[{"outcomeId":"over","name":"Over 3.0","prices":[{"bookmaker":"pinnacle","decimal":"2.4","american":140,"updatedAt":5,"suspended":false}]}]}},{"kind":"marketRemoved","eventId":"E1","marketId":"TOT-2.5"}]}"#
            ], into: adapter)
        XCTAssertEqual(out.events.suffix(2).map(\.instrument), ["E1/TOT-3.0/over/pinnacle", "E1/TOT-2.5/over/pinnacle"])
        XCTAssertEqual(out.events.suffix(2).map { field($0, .suspended) }, [.bool(false), .bool(true)])
        // A change naming an unknown event: our state differs — counted, and a fresh snapshot asked for.
        out = feed([#"{"type":"delta","stream":"soccer","seq":5,"ts":1,"changes":[{"kind":"eventStatus","eventId":"E9","status":"live"}]}"#], into: adapter)
        XCTAssertEqual(out.actions, [.send(#"{"op":"subscribe","id":2,"stream":"soccer"}"#)])
        XCTAssertEqual(adapter.status.gaps, 1)
        // The new snapshot lacks E1: its quotes are published suspended.
        out = feed(
            [#"{"type":"subscribed","id":2,"stream":"soccer","seq":9,"resumed":false}"#, #"{"type":"snapshot","stream":"soccer","seq":9,"ts":1,"events":[]}"#],
            into: adapter)
        XCTAssertEqual(Set(out.events.map(\.instrument)), ["E1/ML/home/pinnacle", "E1/ML/away/pinnacle", "E1/TOT-3.0/over/pinnacle"])
        XCTAssertTrue(out.events.allSatisfy { field($0, .suspended) == .bool(true) })
        XCTAssertEqual(adapter.status.resyncs, 1)
        out = feed([#"{"type":"delta","stream":"soccer","seq":10,"ts":1,"changes":[{"kind":"event","event":\#(Self.event)}]}"#], into: adapter)
        XCTAssertEqual(out.events.count, 4)
        out = feed([#"{"type":"delta","stream":"soccer","seq":11,"ts":1,"changes":[{"kind":"eventRemoved","eventId":"E1"}]}"#], into: adapter)
        XCTAssertTrue(out.events.allSatisfy { field($0, .suspended) == .bool(true) && field($0, .eventStatus) == .string("closed") })
        XCTAssertTrue(adapter.events(in: "soccer").isEmpty)
        _ = feed([#"{"type":"error","id":9,"code":"UNKNOWN_STREAM","message":"no"}"#, "not json"], into: adapter)
        XCTAssertEqual(adapter.status.decodeErrors, 1)
        XCTAssertEqual(adapter.status.lastError?.hasPrefix("decode"), true)
    }

    func testARepeatedGapTakesASnapshotAndReplacedMarketsSuspendTheirQuotes() {
        var config = OrcaFeedConfig()
        config.streams = ["soccer"]
        let adapter = OrcaFeed(config: config)
        _ = adapter.connected(now: 1)
        _ = feed(
            [
                #"{"type":"hello","protocol":"orca.v1","serverTime":1,"heartbeatMs":1000,"streams":["soccer"]}"#,
                #"{"type":"subscribed","id":1,"stream":"soccer","seq":1,"resumed":false}"#,
                #"{"type":"snapshot","stream":"soccer","seq":1,"ts":1,"events":[\#(Self.event)]}"#,
            ], into: adapter)
        // The market replaced by one without bet365: bet365's quote is published suspended.
        var out = feed(
            [
                #"{"type":"delta","stream":"soccer","seq":2,"ts":1,"changes":[{"kind":"market","eventId":"E1","market":{"marketId":"ML","marketType":"moneyline","outcomes":[{"outcomeId":"home","name":"A","prices":[{"bookmaker":"pinnacle","decimal":"2.2","american":120,"updatedAt":3}]},{"outcomeId":"away","name":"B","prices":[{"bookmaker":"pinnacle","decimal":"1.7","american":-143,"updatedAt":3}]}]}}]}"#
            ], into: adapter)
        XCTAssertEqual(out.events.last?.instrument, "E1/ML/home/bet365")
        XCTAssertEqual(field(out.events.last, .suspended), .bool(true))
        // A delta that cannot be decoded (seq 3 lost) → resume from 2; the replay loses it again → snapshot.
        out = feed([price(4, "2.3000")], into: adapter)
        XCTAssertEqual(out.actions, [.send(#"{"op":"subscribe","id":2,"stream":"soccer","fromSeq":2}"#)])
        out = feed([#"{"type":"subscribed","id":2,"stream":"soccer","seq":4,"resumed":true}"#, "{broken seq 3", price(4, "2.3000")], into: adapter)
        XCTAssertEqual(out.actions, [.send(#"{"op":"subscribe","id":3,"stream":"soccer"}"#)], "no endless resume")
        XCTAssertEqual(adapter.status.gaps, 2)
        // subscribed without resume: still awaiting until the snapshot.
        out = feed([#"{"type":"subscribed","id":3,"stream":"soccer","seq":4,"resumed":false}"#, price(5, "9.9")], into: adapter)
        XCTAssertTrue(out.events.isEmpty)
        XCTAssertEqual(adapter.resyncing, ["soccer"])
        _ = feed([#"{"type":"snapshot","stream":"soccer","seq":5,"ts":1,"events":[\#(Self.event)]}"#], into: adapter)
        XCTAssertEqual(adapter.status.state, .live)
        // A change of an unknown kind: a fresh snapshot.
        out = feed([#"{"type":"delta","stream":"soccer","seq":6,"ts":1,"changes":[{"kind":"teleport"}]}"#], into: adapter)
        XCTAssertEqual(out.actions, [.send(#"{"op":"subscribe","id":4,"stream":"soccer"}"#)])
    }

    func testStaleAndMissingHelloReconnect() {
        let adapter = OrcaFeed(config: OrcaFeedConfig())
        _ = adapter.connected(now: 0)
        guard case .reconnect = adapter.timer(now: 16_000_000_000).first else { return XCTFail("no hello: reconnect") }
        _ = feed([#"{"type":"hello","protocol":"orca.v1","serverTime":1,"heartbeatMs":1000,"streams":["soccer","basketball"]}"#], into: adapter, now: 1)
        XCTAssertEqual(adapter.timer(now: 2_000_000_000), [])
        guard case .reconnect = adapter.timer(now: 3_500_000_000).first else { return XCTFail("3 heartbeats of silence: stale") }
    }
}
