import HubCore

/// A write batch of a cluster node as script calls: history entries and announcements grouped
/// by the fence they were made under (order kept within each), at most `maxPerCall` a call — a
/// script holds Redis while it runs — and the coalesced states likewise. Each command comes with
/// how many publications or states it carries.
struct ClusterBatch {
    static let maxPerCall = 128

    let writing: ClusterWriting
    let prefix: String
    let historyLength: Int
    let scripts: (publish: [UInt8], state: [UInt8])

    typealias Command = (args: [[UInt8]], count: Int)

    /// `entries`: each publication with whether it starts its channel's history afresh.
    func history(_ entries: [(StoredPublication, fresh: Bool)]) -> [Command] {
        var out: [Command] = []
        for (fence, group) in Self.grouped(entries, by: { $0.0.fence! }) {
            for chunk in stride(from: 0, to: group.count, by: Self.maxPerCall).map({ group[$0..<min($0 + Self.maxPerCall, group.count)] }) {
                var keys: [[UInt8]] = [
                    Array(writing.keys.lease(fence.lease).utf8), Array("\(prefix):channels".utf8), Array(writing.keys.leaseChannels(fence.lease).utf8),
                ]
                var args: [[UInt8]] = [Array(fence.token.utf8), Array(String(historyLength).utf8)]
                for (p, fresh) in chunk {
                    keys.append(Array("\(prefix):history:\(p.channel)".utf8))
                    let fields = RedisHistoryStore.entryFields(p)
                    args += [
                        Array(writing.keys.shard(of: p.channel).utf8), ClusterMessage.encode(node: writing.node, p), Array("\(p.offset)-0".utf8),
                        Array((fresh ? "1" : "0").utf8), Array(p.channel.utf8), Array(String(fields.count).utf8),
                    ]
                    args += fields
                }
                out.append(([Array("EVALSHA".utf8), scripts.publish, Array(String(keys.count).utf8)] + keys + args, chunk.count))
            }
        }
        return out
    }

    func states(_ states: [StoredPublication]) -> [Command] {
        var out: [Command] = []
        for (fence, group) in Self.grouped(states, by: { $0.fence! }) {
            for chunk in stride(from: 0, to: group.count, by: Self.maxPerCall).map({ group[$0..<min($0 + Self.maxPerCall, group.count)] }) {
                var keys: [[UInt8]] = [Array(writing.keys.lease(fence.lease).utf8)]
                var args: [[UInt8]] = [Array(fence.token.utf8)]
                for p in chunk {
                    keys.append(Array("\(prefix):state:\(p.channel)".utf8))
                    let fields = RedisHistoryStore.stateFields(p)
                    args.append(Array(String(fields.count).utf8))
                    args += fields
                }
                out.append(([Array("EVALSHA".utf8), scripts.state, Array(String(keys.count).utf8)] + keys + args, chunk.count))
            }
        }
        return out
    }

    /// Items grouped by fence, groups in order of first appearance, items in order.
    static func grouped<T>(_ items: [T], by fence: (T) -> Fence) -> [(Fence, [T])] {
        var order: [Fence] = []
        var groups: [Fence: [T]] = [:]
        for item in items {
            let f = fence(item)
            if groups[f] == nil { order.append(f) }
            groups[f, default: []].append(item)
        }
        return order.map { ($0, groups[$0]!) }
    }
}
