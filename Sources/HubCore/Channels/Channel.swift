/// One channel: its ring of publications, its latest merged state and its subscribers' cursors.
///
/// Threading: loop-confined.
public final class Channel: @unchecked Sendable {
    public let key: ChannelKey
    public let name: String
    public let delivery: StreamKind.Delivery
    /// Changes whenever continuity is lost (a new channel instance); offsets are only comparable
    /// within one epoch.
    public internal(set) var epoch: String
    public let ring: PublicationRing
    /// For state channels: the latest value of every property seen, merged tick by tick.
    public internal(set) var state: Tick?
    /// `{"ch":"<name>","off":` — the constant head of every publication.
    let publicationHead: [UInt8]
    /// Cursors of the sessions subscribed here (each knows its index for O(1) removal).
    var cursors: [Cursor] = []
    /// Cluster: the lease its newest local publication was made under, and whether that lease
    /// has been lost since (what this node published last may have been refused by Redis, and
    /// the next owner's publications then replace it rather than count as duplicates).
    var producedUnder: String?
    var unconfirmed = false
    /// Layout numbers given out (`EncodedPublication.layout`): each new one is the next.
    var layouts: UInt64 = 0
    /// Messages delivered from this channel to sessions (monitoring).
    public internal(set) var deliveredMessages: UInt64 = 0

    /// The channel's last publication, when it is still in memory, else (after a restart) the
    /// restored state: what a new subscriber gets as its snapshot.
    var latest: Tick? { ring.tick(at: ring.lastOffset) ?? state }

    init(key: ChannelKey, ringCapacity: Int, epoch: String) {
        self.key = key
        name = key.name
        delivery = key.stream.delivery
        self.epoch = epoch
        ring = PublicationRing(capacity: ringCapacity)
        var head: [UInt8] = []
        JSONWriter.appendLiteral("{\"ch\":", to: &head)
        JSONWriter.appendString(name, to: &head)
        JSONWriter.appendLiteral(",\"off\":", to: &head)
        publicationHead = head
    }

    public var subscriberCount: Int { cursors.count }

    /// The tick to publish: for state channels the tick merged into the latest state (so every
    /// publication is the whole state and skipping older ones loses nothing).
    func absorb(_ tick: Tick) -> Tick {
        guard delivery == .state else { return tick }
        guard state != nil else {
            state = tick
            return tick
        }
        // Merged in place: copying the state out and back in retained and released its strings
        // and arrays once more per publication.
        state!.exchangeTime = tick.exchangeTime
        state!.receiveTime = tick.receiveTime
        state!.sequence = tick.sequence
        if tick.removed.isEmpty && Self.sameProperties(state!.fields, tick.fields) {
            state!.fields = tick.fields  // a full update (the usual case): nothing to merge
        } else {
            for f in tick.fields { state!.set(f.id, f.value) }
            if !tick.removed.isEmpty { state!.fields.removeAll { tick.removed.contains($0.id) } }
        }
        return state!
    }

    private static func sameProperties(_ a: [Field], _ b: [Field]) -> Bool {
        guard a.count == b.count else { return false }
        for i in a.indices where a[i].id != b[i].id { return false }
        return true
    }

    func attach(_ cursor: Cursor) {
        cursor.channelSlot = cursors.count
        cursors.append(cursor)
    }

    func detach(_ cursor: Cursor) {
        let i = cursor.channelSlot
        guard i < cursors.count, cursors[i] === cursor else { return }
        let last = cursors.removeLast()
        if i < cursors.count {
            cursors[i] = last
            last.channelSlot = i
        }
        cursor.channelSlot = -1
    }
}
