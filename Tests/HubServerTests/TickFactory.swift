import HubCore
import Venues

/// Raw events shaped as the adapters emit them, for driving the pipeline in tests.
enum TickFactory {
    static func ticker(_ instrument: String, bid: Double, ask: Double = 0, source: String = "deribit") -> RawEvent {
        RawEvent(
            source: source, instrument: instrument, stream: .ticker, exchangeTime: 1_700_000_000_000, receiveTime: WallClock.microseconds(),
            fields: [
                RawField(DeribitField.bestBidPrice.rawValue, .number(bid)),
                RawField(DeribitField.bestAskPrice.rawValue, .number(ask == 0 ? bid + 0.5 : ask)),
                RawField(DeribitField.bestBidAmount.rawValue, .number(10)),
                RawField(DeribitField.bestAskAmount.rawValue, .number(20)),
            ])
    }

    static func trade(_ instrument: String, seq: UInt64, price: Double = 100, padding: Int = 0) -> RawEvent {
        var fields = [
            RawField(DeribitField.price.rawValue, .number(price)), RawField(DeribitField.amount.rawValue, .number(1)),
            RawField(DeribitField.direction.rawValue, .string("buy")),
            RawField(DeribitField.tradeSeq.rawValue, .integer(Int64(seq))),
        ]
        // Padding as book levels (~10 bytes each when serialised): a registered array property.
        if padding > 0 {
            fields.append(RawField(DeribitField.bids.rawValue, .levels((0..<max(1, padding / 10)).map { PriceLevel(price: 100 + Double($0), amount: 1) })))
        }
        return RawEvent(
            source: "deribit", instrument: instrument, stream: .trades, exchangeTime: 1_700_000_000_000,
            receiveTime: WallClock.microseconds(), sequence: seq, fields: fields)
    }
}
