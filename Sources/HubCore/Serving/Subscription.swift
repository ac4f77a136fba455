/// One `subscribe` of a session: a pattern and the view its publications are projected through.
final class Subscription {
    let pattern: ChannelPattern
    /// The pattern as the client wrote it; `unsubscribe` names it.
    let key: String
    /// The projection asked for (nil: every property the session may see).
    let fields: PropertyMask?
    /// Which publications it delivers (nil: all); held in `filters` while the subscription lives.
    let filter: CompiledFilter?
    private let filters: FilterTable?
    /// Policy mask ∩ fields, interned and held while the subscription lives; reprojected when
    /// the session's permissions change.
    private(set) var view: ViewID
    private let views: ViewTable
    /// unowned(unsafe): a session outlives its subscriptions (`Hub.disconnect` drops them first),
    /// and the checked form costs a strong retain per access on the fan-out path.
    unowned(unsafe) let session: Session

    init(
        pattern: ChannelPattern, key: String, fields: PropertyMask?, mask: PropertyMask, views: ViewTable, session: Session,
        filter: CompiledFilter? = nil, filters: FilterTable? = nil
    ) {
        self.pattern = pattern
        self.key = key
        self.fields = fields
        self.filter = filter
        self.filters = filters
        self.views = views
        self.view = views.retain(mask)
        self.session = session
    }

    /// Holds the view of `mask` instead of the current one.
    func project(_ mask: PropertyMask) {
        let old = view
        view = views.retain(mask)
        views.release(old)
    }

    /// Whether a publication of `tick` passes the filter.
    @inline(__always)
    func passes(_ tick: Tick?) -> Bool {
        guard let filter else { return true }
        return tick.map(filter.matches) ?? false
    }

    deinit {
        views.release(view)
        if let filter { filters?.release(filter) }
    }
}

/// A session's position in one channel: the next offset to deliver. One per (session, channel),
/// owned by the first of the session's subscriptions that matched the channel.
final class Cursor {
    /// unowned(unsafe): see `Subscription.session`; cursors are detached before their session goes.
    unowned(unsafe) let session: Session
    let channel: Channel
    var next: UInt64
    var subscription: Subscription
    /// Index in `channel.cursors` (O(1) detach).
    var channelSlot = -1
    /// Queued in `session.ready`.
    var isReady = false
    var isDetached = false
    /// Waiting for missed publications from the history store: not delivering yet.
    var isPaused = false
    /// The recovery from the history store this cursor waits for (while paused).
    var recovery: PendingRecovery?
    /// How its view projects this channel's publications (per layout; the fan-out's).
    var plan = ProjectionPlan()
    /// Delivered since the last usage roll-up.
    var usageMessages: UInt64 = 0
    var usageBytes: UInt64 = 0

    init(session: Session, channel: Channel, next: UInt64, subscription: Subscription) {
        self.session = session
        self.channel = channel
        self.next = next
        self.subscription = subscription
    }

    var view: ViewID { subscription.view }
    var hasPending: Bool { !isPaused && next <= channel.ring.lastOffset }
}
