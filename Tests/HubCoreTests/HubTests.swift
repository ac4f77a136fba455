import HubCore
import XCTest

/// A socket stand-in that records what the hub asks of it.
final class FakeTransport: SessionTransport {
    var writableRequests = 0
    var closeRequests: [CloseReason] = []
    func requestWritable() { writableRequests += 1 }
    func requestClose(_ reason: CloseReason) { closeRequests.append(reason) }
}

/// The serving stage with fake sockets: protocol handling and queue policies.
final class HubTests: XCTestCase {
    var props: PropertyTable!
    var bid: PropertyID!

    override func setUp() {
        props = PropertyTable()
        bid = props.intern("bid")
        props.intern("note")
    }

    private func hub(_ configure: (inout ServeConfig) -> Void = { _ in }) -> Hub {
        var c = ServeConfig()
        configure(&c)
        var n = 0
        return Hub(
            properties: props, config: c, now: { 1_000 },
            makeEpoch: {
                n += 1
                return "e\(n)"
            })
    }

    private func tick(_ stream: StreamKind, _ instrument: String, _ value: Double, note: String = "") -> Tick {
        var t = Tick(source: "v", instrument: instrument, stream: stream, exchangeTime: 5, receiveTime: 6)
        t.set(bid, .number(value))
        if !note.isEmpty { t.set(props.id("note")!, .string(note)) }
        return t
    }

    private func send(_ hub: Hub, _ s: Session, _ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { hub.receive(s, message: UnsafeRawBufferPointer($0)) }
    }

    /// Every message the session would receive in one writable callback.
    private func frame(_ hub: Hub, _ s: Session) -> (Hub.WriteOutcome, [String]) {
        var out: [UInt8] = []
        let outcome = hub.fillFrame(s, into: &out)
        let lines = out.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
        return (outcome, lines)
    }

    func testSubscribeReplyThenSnapshotThenPublicationsInOneBatchedFrame() {
        let h = hub()
        h.publish(tick(.ticker, "A", 1))
        let t = FakeTransport()
        let s = h.open(transport: t, remoteAddress: "x")
        send(h, s, #"{"id":1,"op":"subscribe","channel":"ticker.v.A"}"#)
        XCTAssertEqual(t.writableRequests, 1)
        h.publish(tick(.ticker, "A", 2))
        h.publish(tick(.ticker, "A", 3))
        XCTAssertEqual(t.writableRequests, 1, "one request until the session is written")
        let (outcome, lines) = frame(h, s)
        XCTAssertEqual(outcome, .frame(more: false))
        XCTAssertEqual(lines.count, 4)
        XCTAssertEqual(lines[0], #"{"id":1,"result":{"channels":[{"ch":"ticker.v.A","epoch":"e1","off":1}]}}"#)
        XCTAssertEqual(lines[1], #"{"ch":"ticker.v.A","off":1,"snap":true,"ts":5,"rt":6,"data":{"bid":1}}"#)
        XCTAssertEqual(lines[2], #"{"ch":"ticker.v.A","off":2,"ts":5,"rt":6,"data":{"bid":2}}"#)
        XCTAssertEqual(lines[3], #"{"ch":"ticker.v.A","off":3,"ts":5,"rt":6,"data":{"bid":3}}"#)
        XCTAssertEqual(frame(h, s).0, .idle)
        XCTAssertEqual(s.messagesSent, 4)
        XCTAssertEqual(h.counters.framesOut, 1)
    }

    func testStateChannelsMergePartialTicksIntoTheLatestState() {
        let h = hub()
        h.publish(tick(.ticker, "A", 1, note: "first"))
        h.publish(tick(.ticker, "A", 2))
        let state = h.channel(named: "ticker.v.A")?.state
        XCTAssertEqual(state?.value(bid), .number(2))
        XCTAssertEqual(state?.value(props.id("note")!), .string("first"), "kept from the earlier tick")
        h.publish(tick(.trades, "A", 1, note: "n"))
        h.publish(tick(.trades, "A", 2))
        XCTAssertNil(h.channel(named: "trades.v.A")?.state, "event channels keep no merged state")
        XCTAssertNil(h.channel(named: "trades.v.A")?.ring.tick(at: 2)?.value(props.id("note")!))
    }

    /// The whole view and a projection (spliced into the frame, then measured) alike: frames stay
    /// within the budget, hold several messages each, and lose or reorder none.
    func testFramesRespectTheByteBudget() throws {
        for fields in ["", #","fields":["note"]"#] {
            let h = hub { $0.frameBytes = 1024 }
            let s = h.open(transport: FakeTransport(), remoteAddress: "")
            send(h, s, #"{"id":1,"op":"subscribe","channel":"trades.v.T"\#(fields)}"#)
            XCTAssertTrue(frame(h, s).1.first?.hasPrefix(#"{"id":1,"result":"#) ?? false, fields)
            for i in 1...100 { h.publish(tick(.trades, "T", Double(i), note: String(repeating: "x", count: 50))) }
            var offsets: [Int] = []
            var frames = 0
            while true {
                var out: [UInt8] = []
                let outcome = h.fillFrame(s, into: &out)
                if outcome == .idle { break }
                frames += 1
                XCTAssertLessThanOrEqual(out.count, 1024)
                for line in out.split(separator: UInt8(ascii: "\n")) {
                    let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
                    guard let off = obj["off"] as? Int else { continue }  // the channel joined
                    offsets.append(off)
                    let data = try XCTUnwrap(obj["data"] as? [String: Any])
                    XCTAssertNotNil(data["note"])
                    XCTAssertEqual(data["bid"] == nil, !fields.isEmpty, "projected: \(!fields.isEmpty)")
                }
            }
            XCTAssertEqual(offsets, Array(1...100), fields)
            XCTAssertGreaterThan(frames, 5)
            XCTAssertLessThan(frames, 50, "several messages a frame")
        }
    }

    func testSlowEventSubscriberIsClosedWhenItFallsOffTheRing() {
        let h = hub { $0.eventRingSize = 8 }
        let t = FakeTransport()
        let s = h.open(transport: t, remoteAddress: "")
        send(h, s, #"{"id":1,"op":"subscribe","channel":"trades.v.T"}"#)
        _ = frame(h, s)
        for i in 1...8 { h.publish(tick(.trades, "T", Double(i))) }
        XCTAssertTrue(t.closeRequests.isEmpty)
        h.publish(tick(.trades, "T", 9))  // offset 1 is overwritten before the session read it
        XCTAssertEqual(t.closeRequests, [.slowConsumer])
        XCTAssertEqual(frame(h, s).0, .close(.slowConsumer))
        XCTAssertEqual(h.counters.slowConsumers, 1)
    }

    func testSlowEventSubscriberIsClosedWhenItsBacklogExceedsTheByteLimit() {
        let h = hub {
            $0.maxPendingBytes = 2048
            $0.frameBytes = 1024
        }
        let t = FakeTransport()
        let s = h.open(transport: t, remoteAddress: "")
        send(h, s, #"{"id":1,"op":"subscribe","channel":"trades.v.T"}"#)
        _ = frame(h, s)
        for i in 1...40 { h.publish(tick(.trades, "T", Double(i), note: String(repeating: "y", count: 100))) }
        XCTAssertEqual(t.closeRequests, [.slowConsumer])
    }

    func testSlowStateSubscriberJumpsToTheNewestPublication() {
        let h = hub { $0.conflateBytes = 1024 }
        h.publish(tick(.ticker, "A", 0))
        let s = h.open(transport: FakeTransport(), remoteAddress: "")
        send(h, s, #"{"id":1,"op":"subscribe","channel":"ticker.v.A"}"#)
        _ = frame(h, s)
        for i in 1...50 { h.publish(tick(.ticker, "A", Double(i), note: String(repeating: "z", count: 60))) }
        let (outcome, lines) = frame(h, s)
        XCTAssertEqual(outcome, .frame(more: false))
        XCTAssertEqual(lines.count, 1, "the backlog is replaced by the newest state")
        XCTAssertTrue(lines[0].contains(#""off":51"#))
        XCTAssertEqual(s.conflations, 1)
        XCTAssertEqual(h.counters.conflations, 1)
    }

    func testRepliesToAClientThatNeverReadsAreBounded() {
        let h = hub { $0.maxControlBytes = 2048 }
        let t = FakeTransport()
        let s = h.open(transport: t, remoteAddress: "")
        for i in 0..<100 { send(h, s, #"{"id":\#(i),"op":"ping"}"#) }
        XCTAssertEqual(t.closeRequests, [.slowConsumer])
    }

    func testRepliesQueuedBeforeAProtocolCloseAreFlushedFirst() {
        let h = hub { $0.maxProtocolErrors = 1 }
        let t = FakeTransport()
        let s = h.open(transport: t, remoteAddress: "")
        send(h, s, "x")
        send(h, s, "y")
        XCTAssertEqual(t.closeRequests, [.badRequest])
        let (first, lines) = frame(h, s)
        XCTAssertEqual(first, .frame(more: true))
        XCTAssertEqual(lines.count, 1)
        XCTAssertTrue(lines[0].contains("1000"))
        XCTAssertEqual(frame(h, s).0, .close(.badRequest))
    }

    func testOverlappingSubscriptionsDeliverEachChannelOnceAndHandOverOnUnsubscribe() {
        let h = hub()
        h.publish(tick(.ticker, "A", 1))
        let s = h.open(transport: FakeTransport(), remoteAddress: "")
        send(h, s, #"{"id":1,"op":"subscribe","channel":"ticker.v.*"}"#)
        send(h, s, #"{"id":2,"op":"subscribe","channel":"ticker.v.A","fields":["bid"]}"#)
        _ = frame(h, s)
        XCTAssertEqual(s.channelCount, 1)
        XCTAssertEqual(s.subscriptionCount, 2)
        send(h, s, #"{"id":3,"op":"unsubscribe","channel":"ticker.v.*"}"#)
        _ = frame(h, s)
        XCTAssertEqual(s.channelCount, 1, "still covered by the exact subscription")
        h.publish(tick(.ticker, "A", 2, note: "hidden"))
        let (_, lines) = frame(h, s)
        XCTAssertEqual(lines, [#"{"ch":"ticker.v.A","off":2,"ts":5,"rt":6,"data":{"bid":2}}"#], "now projected through the exact subscription's view")
        send(h, s, #"{"id":4,"op":"unsubscribe","channel":"ticker.v.A"}"#)
        XCTAssertEqual(s.channelCount, 0)
        XCTAssertEqual(h.channel(named: "ticker.v.A")?.subscriberCount, 0)
    }

    /// A cursor's projection plan is made again when a publication's properties change and when
    /// the cursor's view does: every message carries exactly the view's properties it has.
    func testProjectionsFollowChangingPropertiesAndViews() {
        let note = props.id("note")!, ask = props.intern("ask")
        let h = hub()
        func publish(_ fields: [(PropertyID, PropertyValue)]) {
            var t = Tick(source: "v", instrument: "A", stream: .trades, exchangeTime: 5, receiveTime: 6)
            for (id, value) in fields { t.set(id, value) }
            h.publish(t)
        }
        publish([(bid, .number(0))])
        let s = h.open(transport: FakeTransport(), remoteAddress: "")
        send(h, s, #"{"id":1,"op":"subscribe","channel":"trades.v.*","fields":["bid","ask"]}"#)
        send(h, s, #"{"id":2,"op":"subscribe","channel":"trades.v.A","fields":["note"]}"#)
        _ = frame(h, s)
        publish([(bid, .number(1)), (note, .string("a")), (ask, .number(2))])
        publish([(bid, .number(3)), (note, .string("b")), (ask, .number(4))])  // the same layout
        publish([(note, .string("c")), (bid, .number(5))])  // another
        publish([(ask, .number(6))])  // nothing but the last property the view keeps
        publish([(note, .string("d"))])  // nothing the view keeps
        publish([(bid, .number(7)), (note, .string("e")), (ask, .number(8))])
        let head = #"{"ch":"trades.v.A","off":"#
        XCTAssertEqual(
            frame(h, s).1,
            [
                head + #"2,"ts":5,"rt":6,"data":{"bid":1,"ask":2}}"#, head + #"3,"ts":5,"rt":6,"data":{"bid":3,"ask":4}}"#,
                head + #"4,"ts":5,"rt":6,"data":{"bid":5}}"#, head + #"5,"ts":5,"rt":6,"data":{"ask":6}}"#,
                head + #"6,"ts":5,"rt":6,"data":{}}"#, head + #"7,"ts":5,"rt":6,"data":{"bid":7,"ask":8}}"#,
            ])
        // The channel passes to the exact subscription's view; the next publication has the
        // layout the plan was made for, and must not be projected through the old view.
        send(h, s, #"{"id":3,"op":"unsubscribe","channel":"trades.v.*"}"#)
        _ = frame(h, s)
        publish([(bid, .number(9)), (note, .string("f")), (ask, .number(10))])
        XCTAssertEqual(frame(h, s).1, [head + #"8,"ts":5,"rt":6,"data":{"note":"f"}}"#])
    }

    func testDisconnectAndCloseAll() {
        let h = hub()
        let t1 = FakeTransport(), t2 = FakeTransport()
        let s1 = h.open(transport: t1, remoteAddress: ""), s2 = h.open(transport: t2, remoteAddress: "")
        send(h, s1, #"{"id":1,"op":"subscribe","channel":"ticker.v.A"}"#)
        h.publish(tick(.ticker, "A", 1))
        XCTAssertEqual(h.channel(named: "ticker.v.A")?.subscriberCount, 1)
        h.disconnect(s1)
        XCTAssertEqual(h.channel(named: "ticker.v.A")?.subscriberCount, 0)
        XCTAssertEqual(h.sessionCount, 1)
        h.closeAll()
        XCTAssertEqual(t2.closeRequests, [.goingAway])
        XCTAssertTrue(t1.closeRequests.isEmpty)
        XCTAssertEqual(frame(h, s2).0, .close(.goingAway))
        h.receiveBinary(s2)
        XCTAssertEqual(s2.closeReason, .goingAway, "the first reason stays")
    }

    func testOversizedMessageCloses() {
        let h = hub { $0.maxMessageBytes = 256 }
        let t = FakeTransport()
        let s = h.open(transport: t, remoteAddress: "")
        send(h, s, String(repeating: " ", count: 300))
        XCTAssertEqual(t.closeRequests, [.messageTooBig])
    }
}
