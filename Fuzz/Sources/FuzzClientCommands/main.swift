// Client WebSocket messages, one per line, through a whole hub session: parsing, subscribe and
// unsubscribe with fields and since, pings, auth attempts, frames drained after each message.
// No message may crash the hub or break its invariants (the sanitizers watch memory).
import FuzzSupport
import HubCore
import HubServer

final class DiscardingTransport: SessionTransport {
    func requestWritable() {}
    func requestClose(_ reason: CloseReason) {}
}

let registry = FuzzInput.registry

/// A ticker and a trade with state, so subscriptions find channels, snapshots and rings.
func seed(_ hub: Hub) {
    let bid = registry.id("bid")!, ask = registry.id("ask")!, price = registry.id("price")!
    for i in 1...3 {
        _ = hub.publish(
            Tick(
                source: "deribit", instrument: "BTC-PERPETUAL", stream: .ticker, exchangeTime: 1, receiveTime: Int64(i), sequence: UInt64(i),
                fields: [Field(bid, .number(100 + Double(i))), Field(ask, .number(101 + Double(i)))]))
        _ = hub.publish(
            Tick(
                source: "deribit", instrument: "BTC-PERPETUAL", stream: .trades, exchangeTime: 1, receiveTime: Int64(i), sequence: UInt64(i),
                fields: [Field(price, .number(100))]))
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClientCommands(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let hub = Hub(properties: registry.table, projectable: { registry.id($0) })
    seed(hub)
    let session = hub.open(transport: DiscardingTransport(), remoteAddress: "127.0.0.1")
    var frame: [UInt8] = []
    for line in FuzzInput.lines(UnsafeRawBufferPointer(start: data, count: size)) {
        hub.receive(session, message: line)
        for _ in 0..<64 {
            frame.removeAll(keepingCapacity: true)
            guard case .frame(more: true) = hub.fillFrame(session, into: &frame) else { break }
        }
    }
    hub.disconnect(session)
    return 0
}
