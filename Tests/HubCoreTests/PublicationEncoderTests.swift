import HubCore
import XCTest

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
            XCTAssertEqual(encoder.projectedSize(full, mask: mask), direct.count, "mask \(bits)")
        }
        XCTAssertEqual(
            String(decoding: encoder.project(full, mask: PropertyMask([])), as: UTF8.self), #"{"ch":"ticker.v.I","off":9,"ts":11,"rt":22,"data":{}}"#)
    }
}
