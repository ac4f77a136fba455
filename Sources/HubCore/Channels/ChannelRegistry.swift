/// Every channel by key, in creation order, and the subscriptions waiting for channels that do
/// not exist yet (patterns, or exact names published later).
///
/// Threading: loop-confined.
final class ChannelRegistry {
    private let config: ServeConfig
    private let makeEpoch: () -> String
    private var channels: [ChannelKey: Channel] = [:]
    private var recent = RecentChannels()
    private(set) var all: [Channel] = []
    /// Every live subscription: a channel created later joins those whose pattern matches.
    private var watchers: [ObjectIdentifier: Subscription] = [:]

    init(config: ServeConfig, makeEpoch: @escaping () -> String) {
        self.config = config
        self.makeEpoch = makeEpoch
    }

    var count: Int { all.count }

    @inline(__always)
    func channel(_ key: ChannelKey) -> Channel? {
        if let c = recent.find(key) { return c }
        guard let c = channels[key] else { return nil }
        recent.remember(c)
        return c
    }

    func channel(named name: String) -> Channel? {
        ChannelKey(name: name).flatMap { channels[$0] }
    }

    /// A new channel with a fresh epoch (or a restored one) and the ring size of its delivery kind.
    func create(_ key: ChannelKey, epoch: String? = nil) -> Channel {
        let size = key.stream.delivery == .state ? config.stateRingSize : config.eventRingSize
        let c = Channel(key: key, ringCapacity: size, epoch: epoch ?? makeEpoch())
        if channels.updateValue(c, forKey: key) != nil { recent.forget() }
        all.append(c)
        return c
    }

    /// Existing channels a pattern covers (one lookup for exact names).
    func matching(_ pattern: ChannelPattern) -> [Channel] {
        if pattern.isExact {
            guard let stream = StreamKind(rawValue: pattern.stream!) else { return [] }
            return channels[ChannelKey(stream: stream, source: pattern.venue!, instrument: pattern.instrument!)].map { [$0] } ?? []
        }
        return all.filter { pattern.matches($0.key) }
    }

    func watch(_ sub: Subscription) { watchers[ObjectIdentifier(sub)] = sub }
    func unwatch(_ sub: Subscription) { watchers[ObjectIdentifier(sub)] = nil }

    /// Subscriptions whose pattern covers a channel just created.
    func watchers(of key: ChannelKey) -> [Subscription] {
        watchers.values.filter { $0.pattern.matches(key) }
    }
}
