import HubCore

/// The newest publications of channels as the cluster stored them: the top entries of each
/// channel's history stream (a state channel's entry is its whole merged state). A node reads
/// them when it takes a lease over (it continues those offsets) and after (re)subscribing (it
/// catches up on what it missed while away).
public enum ClusterLatest {
    /// One pipelined round trip for every channel: the newest `count` entries of each, oldest
    /// first; channels without history are left out.
    static func read(_ c: RedisConnection, prefix: String, channels: [String], count: Int = 1) throws(RedisError) -> [RemotePublication] {
        guard !channels.isEmpty else { return [] }
        let replies = try c.pipeline(
            channels.map {
                [
                    Array("XREVRANGE".utf8), Array("\(prefix):history:\($0)".utf8), Array("+".utf8), Array("-".utf8), Array("COUNT".utf8),
                    Array(String(count).utf8),
                ]
            })
        var out: [RemotePublication] = []
        for (name, reply) in zip(channels, replies) {
            guard case .array(let entries) = reply else { continue }
            out += entries.reversed().compactMap { entry(name, .array([$0])) }
        }
        return out
    }

    /// The members of a set of channel names (`<prefix>:channels`, a lease's channel set).
    static func members(_ c: RedisConnection, _ key: String) throws(RedisError) -> [String] {
        guard case .array(let items) = try c.command(["SMEMBERS", key]) else { return [] }
        return items.compactMap(\.text).sorted()
    }

    /// `XREVRANGE … COUNT 1` → the publication, or nil when the reply is not one entry with an
    /// epoch and an offset id.
    public static func entry(_ channel: String, _ reply: RedisReply) -> RemotePublication? {
        guard case .array(let entries) = reply, entries.count == 1, let (offset, epoch, m) = RedisHistoryStore.entry(entries[0]), let epoch else { return nil }
        return RemotePublication(channel: channel, epoch: epoch, offset: offset, exchangeTime: m.exchangeTime, receiveTime: m.receiveTime, fields: m.fields)
    }
}
