import XCTest

@testable import HubCore

final class PublicationEncoderTests: XCTestCase {
    /// Splicing a projection out of the full encoding gives the same bytes as encoding it.
    func testProjectionsSplicedFromTheFullEncodingMatchDirectEncoding() {
        let props = PropertyTable(["a", "b", "c", "levels", "s", "flag"])
        let hub = Hub(properties: props)
        var tick = Tick(source: "v", instrument: "I", stream: .ticker, exchangeTime: 11, receiveTime: 22)
        tick.set(props.id("a")!, .number(1.5))
        tick.set(props.id("b")!, .integer(-7))
        tick.set(props.id("levels")!, .levels([PriceLevel(price: 2, amount: 0.5)]))
        tick.set(props.id("s")!, .string("q\"uote"))
        tick.set(props.id("flag")!, .bool(true))
        hub.publish(tick)
        let channel = hub.allChannels[0]
        let encoder = PublicationEncoder(properties: props)
        let full = encoder.encodeFull(channel: channel, offset: 9, tick: tick)
        XCTAssertEqual(full.bytes, encoder.encode(channel: channel, offset: 9, tick: tick, mask: .all))
        let ids = (0..<props.count).map { PropertyID(UInt16($0)) }
        for bits in 0..<(1 << ids.count) {
            let mask = PropertyMask(ids.enumerated().filter { bits & (1 << $0.offset) != 0 }.map(\.element))
            let direct = encoder.encode(channel: channel, offset: 9, tick: tick, mask: mask)
            XCTAssertEqual(encoder.project(full, mask: mask), direct, "mask \(bits)")
        }
        XCTAssertEqual(
            String(decoding: encoder.project(full, mask: PropertyMask([])), as: UTF8.self), #"{"ch":"ticker.v.I","off":9,"ts":11,"rt":22,"data":{}}"#)
        // A view that keeps every property the tick has ("c" is absent) is the full encoding.
        let present = ["a", "b", "levels", "s", "flag"].map { props.id($0)! }
        XCTAssertEqual(encoder.project(full, mask: PropertyMask(present)), full.bytes)
        XCTAssertNotEqual(encoder.project(full, mask: PropertyMask(present.dropLast())), full.bytes)
    }

    /// A channel numbers its publications' layouts: the previous publication's number when the
    /// properties are the same and in the same order, a new one otherwise. A projection plan kept
    /// across publications projects each one as encoding it through the mask does.
    func testLayoutsNumberPropertySequencesAndAKeptPlanProjectsEachPublication() {
        let props = PropertyTable(["a", "b", "c"])
        let (a, b, c) = (props.id("a")!, props.id("b")!, props.id("c")!)
        let hub = Hub(properties: props)
        func tick(_ fields: [(PropertyID, Double)]) -> Tick {
            var t = Tick(source: "v", instrument: "I", stream: .ticker, exchangeTime: 1, receiveTime: 2)
            for (id, x) in fields { t.set(id, .number(x)) }
            return t
        }
        hub.publish(tick([(a, 0)]))
        let channel = hub.allChannels[0]
        let encoder = PublicationEncoder(properties: props)
        let ticks = [
            tick([(a, 1), (b, 2), (c, 3)]), tick([(a, 4), (b, 5), (c, 6)]), tick([(a, 7), (c, 8)]), tick([(c, 9), (a, 10)]),
            tick([(a, 11), (b, 12), (c, 13)]), tick([(a, 14), (b, 15)]),  // the first ones, the last dropped
            tick([(a, 16), (b, 17), (c, 18)]),  // and back
        ]
        var previous: PublishedTick?
        var encodings: [EncodedPublication] = []
        for t in ticks {
            let e = encoder.encodeFull(channel: channel, offset: 1, tick: t, previous: previous)
            encodings.append(e)
            previous = PublishedTick(fields: t.fields, encoding: e)
        }
        let layouts = encodings.map(\.layout)
        XCTAssertEqual(layouts[1], layouts[0], "the same properties in the same order")
        XCTAssertEqual(Set(layouts).count, 6, "every other publication a new number: \(layouts)")
        XCTAssertFalse(layouts.contains(0))
        let alone = encoder.encodeFull(channel: channel, offset: 1, tick: ticks[0]).layout
        XCTAssertFalse(layouts.contains(alone), "without a previous publication: a new number")

        let mask = PropertyMask([a, c]), view = ViewID(rawValue: 7)
        var plan = ProjectionPlan()
        for (t, e) in zip(ticks, encodings) {
            var out: [UInt8] = []
            e.bytes.withUnsafeBufferPointer { bytes in
                e.spans.withUnsafeBufferPointer { spans in
                    let full = EncodingView(bytes: bytes, dataStart: e.dataStart, spans: spans, layout: e.layout)
                    encoder.project(full, mask: mask, view: view, plan: &plan, into: &out)
                }
            }
            XCTAssertEqual(
                String(decoding: out, as: UTF8.self), String(decoding: encoder.encode(channel: channel, offset: 1, tick: t, mask: mask), as: UTF8.self))
            XCTAssertTrue(plan.holds(layout: e.layout, view: view))
            XCTAssertFalse(plan.holds(layout: e.layout, view: .all))
        }
    }

    /// The room reserved for a publication holds the longest values there are: a book of
    /// levels whose every number takes 24 bytes, with nothing else to spare room for.
    func testTheLongestBookFitsItsReservation() {
        let props = PropertyTable(["bids"])
        let hub = Hub(properties: props)
        let longest = -2.2250738585072014e-308
        var tick = Tick(source: "v", instrument: "I", stream: .book, exchangeTime: 0, receiveTime: 0)
        tick.set(props.id("bids")!, .levels(Array(repeating: PriceLevel(price: longest, amount: longest), count: 400)))
        hub.publish(tick)
        let encoder = PublicationEncoder(properties: props)
        let full = encoder.encodeFull(channel: hub.allChannels[0], offset: 1, tick: tick)
        XCTAssertEqual(full.bytes, encoder.encode(channel: hub.allChannels[0], offset: 1, tick: tick, mask: .all))
        let level = "[-2.2250738585072014e-308,-2.2250738585072014e-308]"
        let expected = #"{"ch":"book.v.I","off":1,"ts":0,"rt":0,"data":{"bids":["# + Array(repeating: level, count: 400).joined(separator: ",") + "]}}"
        XCTAssertEqual(String(decoding: full.bytes, as: UTF8.self), expected)
    }

    /// A tick without properties (one that only withdraws some) encodes as an empty `data`,
    /// written into recycled buffers or into none at all.
    func testATickWithoutPropertiesEncodesAnEmptyData() {
        let props = PropertyTable(["a"])
        let hub = Hub(properties: props)
        let tick = Tick(source: "v", instrument: "I", stream: .trades, exchangeTime: -1, receiveTime: Int64.min)
        hub.publish(tick)
        let encoder = PublicationEncoder(properties: props)
        var recycled = EncodedPublication.Storage()
        let empty = encoder.encodeFull(channel: hub.allChannels[0], offset: UInt64.max, tick: tick, storage: &recycled)
        let expected = #"{"ch":"trades.v.I","off":18446744073709551615,"ts":-1,"rt":-9223372036854775808,"data":{}}"#
        XCTAssertEqual(String(decoding: empty.bytes, as: UTF8.self), expected)
        XCTAssertTrue(empty.spans.isEmpty)
        XCTAssertEqual(empty.dataStart, expected.utf8.count - 2)
        XCTAssertEqual(encoder.encode(channel: hub.allChannels[0], offset: UInt64.max, tick: tick, mask: .all), empty.bytes)
        var nothing: [UInt8] = []
        JSONWriter.appendEscaped(UnsafeBufferPointer(start: nil, count: 0), to: &nothing)
        XCTAssertEqual(nothing, [])
    }
}

final class IncrementalEncodingTests: XCTestCase {
    /// Copying unchanged properties from the channel's previous publication gives exactly the
    /// bytes a fresh encoding gives, whatever changed: values, properties added, removed,
    /// reordered; and through the hub, with the ring recycling evicted buffers.
    func testReusingThePreviousPublicationMatchesAFreshEncoding() {
        let props = PropertyTable(["a", "b", "c", "levels", "s", "flag"])
        let hub = Hub(properties: props)
        let encoder = PublicationEncoder(properties: props)
        var rng = SystemRandomNumberGenerator()
        func value(_ i: Int) -> PropertyValue {
            switch i % 5 {
            case 0: return .number([1.5, 0.0015, 36442.5, -2][Int.random(in: 0..<4, using: &rng)])
            case 1: return .integer(Int64.random(in: -3...3, using: &rng))
            case 2: return .levels(Bool.random(using: &rng) ? [] : [PriceLevel(price: 2, amount: Double(Int.random(in: 1...2, using: &rng)))])
            // Canonically equivalent spellings (equal as Strings) print differently.
            case 3: return .string(["x", "q\"uote", "caf\u{E9}", "cafe\u{301}"][Int.random(in: 0..<4, using: &rng)])
            default: return .bool(Bool.random(using: &rng))
            }
        }
        var previous: PublishedTick?
        let channelTick = Tick(source: "v", instrument: "I", stream: .trades, exchangeTime: 1, receiveTime: 2)
        hub.publish(channelTick)
        let channel = hub.allChannels[0]
        for round in 0..<500 {
            var tick = channelTick
            for i in (0..<props.count).shuffled(using: &rng) where Bool.random(using: &rng) || round % 7 == 0 {
                tick.set(PropertyID(UInt16(i)), value(i))
            }
            let fresh = encoder.encodeFull(channel: channel, offset: UInt64(round), tick: tick)
            var storage = EncodedPublication.Storage()
            let reused = encoder.encodeFull(channel: channel, offset: UInt64(round), tick: tick, previous: previous, storage: &storage)
            XCTAssertEqual(String(decoding: reused.bytes, as: UTF8.self), String(decoding: fresh.bytes, as: UTF8.self), "round \(round)")
            XCTAssertEqual(reused.spans.map { [$0.id.index, Int($0.start), Int($0.end)] }, fresh.spans.map { [$0.id.index, Int($0.start), Int($0.end)] })
            XCTAssertEqual(reused.dataStart, fresh.dataStart)
            previous = PublishedTick(fields: tick.fields, encoding: reused)
        }
    }

    /// Book levels copied from the previous publication (at whatever index they were) give the
    /// bytes a fresh encoding gives, as levels come, go, change and shift, in both sort orders,
    /// with numbers of every printed form.
    func testLevelsReusedFromThePreviousPublicationMatchAFreshEncoding() {
        let props = PropertyTable(["bids", "asks", "other"])
        let encoder = PublicationEncoder(properties: props)
        let hub = Hub(properties: props)
        hub.publish(Tick(source: "v", instrument: "I", stream: .book, exchangeTime: 1, receiveTime: 2))
        let channel = hub.allChannels[0]
        var rng = SystemRandomNumberGenerator()
        let prices: [Double] = [36442.5, 36443, 0.0015, 1e-7, 2.5e17, 7, 0.1 + 0.2]
        let amounts: [Double] = [1, 0.5, 1e-9, 123456789.25, 0]
        var bids: [PriceLevel] = [], asks: [PriceLevel] = []
        var previous: PublishedTick?
        for round in 0..<2000 {
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let level = PriceLevel(price: prices.randomElement(using: &rng)!, amount: amounts.randomElement(using: &rng)!)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: bids.insert(level, at: Int.random(in: 0...bids.count, using: &rng))
                case 1: if !bids.isEmpty { bids.remove(at: Int.random(in: 0..<bids.count, using: &rng)) }
                case 2: asks.insert(level, at: Int.random(in: 0...asks.count, using: &rng))
                default: if !asks.isEmpty { asks[Int.random(in: 0..<asks.count, using: &rng)].amount = level.amount }
                }
            }
            if bids.count > 10 { bids.removeLast() }
            if asks.count > 12 { asks.removeFirst() }
            var tick = Tick(source: "v", instrument: "I", stream: .book, exchangeTime: Int64(round), receiveTime: 0)
            tick.set(props.id("bids")!, .levels(bids.sorted { $0.price > $1.price }))
            tick.set(props.id("asks")!, .levels(round % 5 == 0 ? asks : asks.sorted { $0.price < $1.price }))
            if round % 3 == 0 { tick.set(props.id("other")!, .number(Double(round))) }
            let fresh = encoder.encodeFull(channel: channel, offset: UInt64(round), tick: tick)
            var storage = EncodedPublication.Storage()
            let reused = encoder.encodeFull(channel: channel, offset: UInt64(round), tick: tick, previous: previous, storage: &storage)
            XCTAssertEqual(String(decoding: reused.bytes, as: UTF8.self), String(decoding: fresh.bytes, as: UTF8.self), "round \(round)")
            XCTAssertEqual(reused.spans.map { [$0.id.index, Int($0.start), Int($0.end)] }, fresh.spans.map { [$0.id.index, Int($0.start), Int($0.end)] })
            previous = PublishedTick(fields: tick.fields, encoding: reused)
        }
    }

    func testStringsAreTheSameTextOnlyByteForByte() {
        XCTAssertTrue(PublicationEncoder.sameBytes("BTC-24SEP21-8000-P", "BTC-24SEP21-" + "8000-P"))
        XCTAssertTrue(PublicationEncoder.sameBytes("", ""))
        XCTAssertFalse(PublicationEncoder.sameBytes("caf\u{E9}", "cafe\u{301}"), "equal as Strings, not as text")
        XCTAssertFalse(PublicationEncoder.sameBytes("abc", "abd"))
        XCTAssertFalse(PublicationEncoder.sameBytes("a long string well past fifteen bytes", "a long string well past fifteen bytez"))
    }

    /// Through the hub: a state channel whose ring has wrapped publishes from reclaimed buffers,
    /// and every publication a subscriber receives is the fresh encoding of the merged state.
    func testAWrappedStateRingServesExactEncodings() {
        let props = PropertyTable(["bid", "ask", "last"])
        var config = ServeConfig()
        config.stateRingSize = 2
        let hub = Hub(properties: props, config: config)
        let pool = FieldArrayPool()
        hub.fieldPool = pool
        let session = hub.open(transport: FakeTransport(), remoteAddress: "x")
        var subscribe = Array(#"{"id":1,"op":"subscribe","channel":"ticker.v.I"}"#.utf8)
        let encoder = PublicationEncoder(properties: props)
        for n in 1...20 {
            var tick = Tick(source: "v", instrument: "I", stream: .ticker, exchangeTime: Int64(n), receiveTime: 0)
            tick.set(props.id("bid")!, .number(n % 3 == 0 ? Double(n) : 1.25))
            tick.set(props.id("ask")!, .number(2.5))
            if n % 4 == 0 { tick.set(props.id("last")!, .integer(Int64(n))) }
            hub.publish(tick)
            if n == 1 { subscribe.withUnsafeMutableBytes { hub.receive(session, message: UnsafeRawBufferPointer($0)) } }
            let channel = hub.allChannels[0]
            let expected = encoder.encode(channel: channel, offset: UInt64(n), tick: channel.state!, mask: .all)
            var out: [UInt8] = []
            _ = hub.fillFrame(session, into: &out)
            let last = out.split(separator: UInt8(ascii: "\n")).last.map { String(decoding: $0, as: UTF8.self) }
            XCTAssertEqual(
                last,
                n == 1
                    ? String(decoding: expected, as: UTF8.self).replacingOccurrences(of: #""off":1,"#, with: #""off":1,"snap":true,"#)
                    : String(decoding: expected, as: UTF8.self), "publication \(n)")
        }
        XCTAssertGreaterThan(pool.count, 0, "evicted ticks' field arrays are kept for reuse")
        XCTAssertGreaterThan(pool.take(capacity: 1).capacity, 0)
    }
}

final class RecyclingTests: XCTestCase {
    func testFieldArrayPoolKeepsStorageUpToItsLimit() {
        let pool = FieldArrayPool(limit: 2)
        XCTAssertEqual(pool.take(capacity: 4).count, 0)
        for i in 0..<3 {
            var fields = [Field(PropertyID(1), .integer(1))]
            fields.reserveCapacity(16)
            pool.put(&fields)
            XCTAssertEqual(fields.isEmpty, i < 2, "moved out of the caller's variable, until the pool is full")
        }
        XCTAssertEqual(pool.count, 2)
        let reused = pool.take(capacity: 8)
        XCTAssertTrue(reused.isEmpty)
        XCTAssertGreaterThanOrEqual(reused.capacity, 16)
        var none: [Field] = []
        pool.put(&none)
        XCTAssertEqual(pool.count, 1, "no storage, nothing kept")
    }

    func testTheRingReclaimsOnlyThePublicationItIsAboutToEvict() {
        let ring = PublicationRing(capacity: 2)
        func full(_ n: Int) -> EncodedPublication {
            var bytes = [UInt8](repeating: UInt8(n), count: n)
            bytes.reserveCapacity(64)
            return EncodedPublication(bytes: bytes, dataStart: 0, spans: [.init(id: PropertyID(0), start: 0, end: UInt32(n))])
        }
        var tick = Tick(source: "s", instrument: "i", stream: .ticker, exchangeTime: 0, receiveTime: 0)
        tick.set(PropertyID(0), .integer(1))
        XCTAssertEqual(ring.reclaim().bytes.capacity, 0, "nothing to evict yet")
        ring.append(tick, full: full(3))
        XCTAssertEqual(ring.reclaim().bytes.capacity, 0)
        ring.append(tick, full: full(4))
        XCTAssertNotNil(ring.latestPublished)
        let storage = ring.reclaim()  // offset 1 goes next
        XCTAssertTrue(storage.bytes.isEmpty && storage.spans.isEmpty)
        XCTAssertEqual(storage.fields, tick.fields, "the evicted tick's fields, for the pool")
        XCTAssertGreaterThanOrEqual(storage.bytes.capacity, 64)
        XCTAssertEqual(ring.latestPublished?.encoding.bytes, [UInt8](repeating: 4, count: 4), "the newest is untouched")
        XCTAssertEqual(ring.fullView(at: 2)?.bytes.count, 4)
        XCTAssertNil(ring.fullView(at: 1), "the evicted encoding's buffers are being reused")
    }
}
