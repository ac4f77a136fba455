// Redis replies as the hub reads them back: any RESP becomes history messages or nil, and any
// stored state restores channels (bad values skipped, impossible epochs and offsets a new
// epoch); any cluster announcement or newest stream entry is applied as another node's
// publication or refused — never a crash or an arithmetic trap.
import FuzzSupport
import HubCache
import HubCore
import HubServer

let registry = FuzzInput.registry

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRedisReplies(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let replies = RedisConnection.replies(resp: Array(UnsafeRawBufferPointer(start: data, count: size)))
    var restored: [RestoredChannel] = []
    for (i, reply) in replies.enumerated() {
        _ = RedisHistoryStore.messages(reply, epoch: "e", after: UInt64(i), through: UInt64(i + 3))
        if let channel = RedisHistoryStore.restored(i % 2 == 0 ? "ticker.deribit.X\(i)" : "trades.deribit.Y\(i)", reply) { restored.append(channel) }
    }
    let hub = Hub(properties: registry.table, projectable: { registry.id($0) })
    hub.restore(restored, decoder: StoredValueDecoder(registry: registry))
    let bytes = Array(UnsafeRawBufferPointer(start: data, count: size))
    if let (_, p) = ClusterMessage.decode(bytes) { hub.applyRemote(p) }
    for (i, reply) in replies.enumerated() {
        if case .string(let b) = reply, let (_, p) = ClusterMessage.decode(b) { hub.applyRemote(p) }
        if let p = ClusterLatest.entry("ticker.deribit.X\(i % 3)", reply) { hub.adopt([p]) }
    }
    return 0
}
