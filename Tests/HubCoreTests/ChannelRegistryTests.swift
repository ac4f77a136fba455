import XCTest

@testable import HubCore

final class ChannelRegistryTests: XCTestCase {
    /// Lookups go through a small direct-mapped cache before the dictionary: whatever shares a
    /// slot (many more channels than slots, one instrument on every stream, names that differ
    /// only in the middle, names under eight bytes), each key finds its own channel, freshly
    /// built strings find it as interned ones do, and unknown keys find none.
    func testEveryKeyFindsItsOwnChannelThroughTheCache() {
        let registry = ChannelRegistry(config: ServeConfig(), makeEpoch: { "e" })
        var keys: [ChannelKey] = []
        for i in 0..<400 {
            let instrument = i % 4 == 0 ? "I\(i)" : "BTC-24SEP21-\(10_000 + i)-P"
            for stream in [StreamKind.ticker, .book, .trades, .options] {
                keys.append(ChannelKey(stream: stream, source: i % 3 == 0 ? "deribit" : "binance", instrument: instrument))
            }
        }
        // One symbol on several venues (the cross-venue setup), venue names long and short.
        for venue in ["binance", "coinbase", "kraken", "binance-futures", "okx"] {
            keys.append(ChannelKey(stream: .ticker, source: venue, instrument: "BTC/USDT"))
        }
        var created: [ChannelKey: Channel] = [:]
        for key in keys { created[key] = registry.create(key) }
        for _ in 0..<3 {
            for key in keys.shuffled() {
                // A copy built from other storage: equal by value, not by identity.
                let copy = ChannelKey(stream: key.stream, source: String(decoding: key.source.utf8, as: UTF8.self), instrument: "\(key.instrument)")
                XCTAssertTrue(registry.channel(copy) === created[key], "\(key)")
                XCTAssertTrue(registry.channel(key) === created[key], "\(key)")
            }
        }
        XCTAssertNil(registry.channel(ChannelKey(stream: .odds, source: "deribit", instrument: "I0")))
        XCTAssertNil(registry.channel(ChannelKey(stream: .ticker, source: "deribit", instrument: "BTC-24SEP21-10001-C")))
    }

    /// A channel made again under its key (a restored epoch) replaces the remembered one.
    func testAChannelMadeAgainReplacesTheRememberedOne() {
        let registry = ChannelRegistry(config: ServeConfig(), makeEpoch: { "e" })
        let key = ChannelKey(stream: .ticker, source: "deribit", instrument: "BTC-PERPETUAL")
        let first = registry.create(key)
        XCTAssertTrue(registry.channel(key) === first)
        let second = registry.create(key, epoch: "restored")
        XCTAssertTrue(registry.channel(key) === second)
        XCTAssertEqual(registry.channel(key)?.epoch, "restored")
    }
}
