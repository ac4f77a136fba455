import HubCore
import XCTest

final class PipelineStageTests: XCTestCase {
    let schema = VenueSchema(
        source: "v", fields: [.init("b", "bid"), .init("a", "ask"), .init("bv", "bidVolume"), .init("av", "askVolume"), .init("n", "name")])

    /// A registry with the properties the schema maps to.
    private func registry() throws -> PropertyRegistry {
        let r = PropertyRegistry()
        try r.load([
            PropertyDefinition(name: "bid", type: .decimal, description: "b", tier: .public, sources: ["v"], rules: ValidationRules(min: 0)),
            PropertyDefinition(name: "ask", type: .decimal, description: "a", tier: .public, sources: ["v"], rules: ValidationRules(min: 0)),
            PropertyDefinition(name: "bidVolume", type: .decimal, description: "bv", tier: .public, sources: ["v"], rules: ValidationRules(min: 0)),
            PropertyDefinition(name: "askVolume", type: .decimal, description: "av", tier: .public, sources: ["v"]),
            PropertyDefinition(name: "name", type: .string, description: "n", tier: .public, sources: ["v"], rules: ValidationRules(maxLength: 1024)),
        ])
        return r
    }

    private func event(_ fields: [RawField], source: String = "v") -> RawEvent {
        RawEvent(source: source, instrument: "X", stream: .ticker, exchangeTime: 1, receiveTime: 2, sequence: 3, fields: fields)
    }

    func testTransformMapsVenueFieldsToInternedProperties() throws {
        let r = try registry()
        let props = r.table
        let t = Transform(registry: r, schemas: [schema])
        let tick = try XCTUnwrap(t.transform(event([RawField(0, .number(10)), RawField(4, .string("x"))])))
        XCTAssertEqual(tick.fields.count, 2)
        XCTAssertEqual(tick.value(props.id("bid")!), .number(10))
        XCTAssertEqual(tick.value(props.id("name")!), .string("x"))
        XCTAssertEqual(tick.sequence, 3)
        XCTAssertEqual(tick.channelName, "ticker.v.X")
        XCTAssertEqual(t.ticks, 1)
    }

    func testTransformCarriesWithdrawnFieldsAsProperties() throws {
        let r = try registry()
        var e = event([RawField(0, .number(10))])
        e.removed = [1, 99]  // ask withdrawn; an index outside the schema is ignored
        let tick = try XCTUnwrap(Transform(registry: r, schemas: [schema]).transform(e))
        XCTAssertEqual(tick.removed, [r.table.id("ask")!])
        // The channel's state loses it.
        let hub = Hub(properties: r.table)
        var full = tick
        full.removed = []
        full.set(r.table.id("ask")!, .number(11))
        hub.publish(full)
        hub.publish(tick)
        let state = try XCTUnwrap(hub.latestState("ticker.v.X").map { String(decoding: $0, as: UTF8.self) })
        XCTAssertTrue(state.contains(#""bid":10"#), state)
        XCTAssertFalse(state.contains(#""ask""#), state)
    }

    func testTransformQuarantinesInvalidValuesWithTheirReason() throws {
        let t = Transform(registry: try registry(), schemas: [schema], quarantineKeep: 2)
        let tick = try XCTUnwrap(
            t.transform(
                event([
                    RawField(0, .number(.nan)), RawField(1, .number(5)), RawField(9, .number(1)),
                    RawField(2, .levels([PriceLevel(price: 1, amount: -1)])), RawField(4, .string(String(repeating: "x", count: 2000))),
                ])))
        XCTAssertEqual(tick.fields.count, 1, "only the valid ask survives")
        XCTAssertEqual(t.quarantinedCount, 4)
        XCTAssertEqual(t.recentQuarantine.count, 2, "bounded")
        XCTAssertEqual(t.recentQuarantine.last?.venueField, "n")
        XCTAssertEqual(t.recentQuarantine.last?.reason, "longer than 1024 bytes")
        XCTAssertEqual(t.quarantinedBy["v"]?["bid"], 1)
        XCTAssertNil(t.transform(event([], source: "unknown")))
        XCTAssertEqual(t.unknownSource, 1)
    }

    func testEnrichComputesQuoteDerivedProperties() {
        let props = PropertyTable()
        let e = Enrich(properties: props)
        var tick = Tick(source: "v", instrument: "X", stream: .ticker, exchangeTime: 0, receiveTime: 0)
        tick.set(props.id("bid")!, .number(99))
        tick.set(props.id("ask")!, .number(101))
        tick.set(props.id("bidVolume")!, .number(3))
        tick.set(props.id("askVolume")!, .number(1))
        e.enrich(&tick)
        XCTAssertEqual(tick.value(props.id("mid")!), .number(100))
        XCTAssertEqual(tick.value(props.id("spread")!), .number(2))
        XCTAssertEqual(tick.value(props.id("spreadBps")!), .number(200))
        // (99 × 1 + 101 × 3) / 4 = 100.5: more size on the bid pushes the fair price up.
        XCTAssertEqual(tick.value(props.id("microprice")!), .number(100.5))

        var oneSided = Tick(source: "v", instrument: "X", stream: .ticker, exchangeTime: 0, receiveTime: 0)
        oneSided.set(props.id("bid")!, .number(99))
        oneSided.set(props.id("ask")!, .number(0))
        e.enrich(&oneSided)
        XCTAssertNil(oneSided.value(props.id("mid")!))
        XCTAssertEqual(e.derived, 1)
    }

    func testPipelineRunsStagesInOrderAndMeasuresEach() throws {
        let r = try registry()
        let props = r.table
        let hub = Hub(properties: props)
        let p = Pipeline(transform: Transform(registry: r, schemas: [schema]), enrich: Enrich(properties: props), hub: hub)
        p.process(event([RawField(0, .number(1)), RawField(1, .number(3))]))
        p.recordIngest(nanoseconds: 1500)
        let channel = try XCTUnwrap(hub.channel(named: "ticker.v.X"))
        XCTAssertEqual(channel.ring.lastOffset, 1)
        XCTAssertEqual(channel.ring.tick(at: 1)?.value(props.id("mid")!), .number(2))
        for stage in StageLatency.Stage.allCases { XCTAssertEqual(p.latency.summary(stage).count, 1, stage.rawValue) }
        XCTAssertGreaterThanOrEqual(p.latency.summary(.ingest).p50, 1490)
        p.resetLatency()
        XCTAssertEqual(p.latency.summary(.serve).count, 0)
    }

    func testViewsInternMasksAndForgetThemWhenNobodyHoldsThem() {
        let views = ViewTable()
        let a = views.retain(PropertyMask([PropertyID(1), PropertyID(70)]))
        let b = views.retain(PropertyMask([PropertyID(70), PropertyID(1)]))
        XCTAssertEqual(a, b)
        XCTAssertEqual(views.retain(.all), .all)
        XCTAssertEqual(views.count, 2)
        let m = views.mask(a)
        XCTAssertTrue(m.contains(PropertyID(70)))
        XCTAssertFalse(m.contains(PropertyID(2)))
        XCTAssertFalse(m.contains(PropertyID(500)))
        XCTAssertTrue(PropertyMask.all.contains(PropertyID(500)))

        views.release(a)
        XCTAssertEqual(views.count, 2, "still held once")
        views.release(b)
        XCTAssertEqual(views.count, 1, "forgotten; the full view stays")
        views.release(.all)
        XCTAssertEqual(views.count, 1)
        // The slot is reused under a new ID: bytes cached for the old view never match the new one.
        let c = views.retain(PropertyMask([PropertyID(2)]))
        XCTAssertNotEqual(c, a)
        XCTAssertTrue(views.mask(c).contains(PropertyID(2)))
        XCTAssertFalse(views.mask(c).contains(PropertyID(70)))
        XCTAssertEqual(views.retain(PropertyMask([PropertyID(1), PropertyID(70)])), ViewID(rawValue: 2), "a fresh slot when none is free")
    }
}
