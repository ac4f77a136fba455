import DequeModule

/// One client connection as the serving stage sees it: subscriptions, cursors and the replies
/// waiting to be written. Per-connection memory is this object, its cursors and its pending
/// replies; publication bytes live in the channel rings and are shared.
///
/// Threading: loop-confined.
public final class Session: @unchecked Sendable {
    public let id: UInt64
    public let remoteAddress: String
    public let transport: SessionTransport

    var subscriptions: [String: Subscription] = [:]
    var cursors: [ObjectIdentifier: Cursor] = [:]
    /// Cursors with publications to deliver, in the order they became ready (fairness).
    var ready: Deque<Cursor> = []
    /// Replies, snapshots and pushes, delivered before publications.
    var control: Deque<[UInt8]> = []
    var controlBytes = 0
    var writeScheduled = false
    public internal(set) var closeReason: CloseReason? {
        didSet { isClosing = closeReason != nil }
    }
    /// `closeReason != nil`, stored: the publish loop asks it of every subscriber of a channel,
    /// and reading a Bool retains nothing (reading the reason retains its message).
    private(set) var isClosing = false
    var protocolErrors = 0
    /// Recoveries from the history store in flight.
    var recoveries = 0
    /// When the client last sent a message (µs; the open time before the first).
    var lastMessageAt: Int64 = 0

    /// Who this is (nil until authenticated, when anonymous access is off).
    public internal(set) var principal: Principal?
    /// What it may do (nil: no access control configured).
    public internal(set) var policy: AccessPolicy?
    /// The properties the policy lets through (intersected with each subscription's fields).
    var policyMask: PropertyMask = .all
    /// A token is being verified: requests wait (bounded) until it is done.
    var authPending = false
    var waitingRequests: [[UInt8]] = []
    var expiryWarned = false
    let openedAt: Int64

    public internal(set) var messagesSent: UInt64 = 0
    public internal(set) var framesSent: UInt64 = 0
    public internal(set) var conflations: UInt64 = 0

    /// Usage: how rows name this session (nil until first needed, reset when its identity
    /// changes), counted up to when (µs), and whether the session itself was counted.
    var usageLabel: (user: String, roles: String)?
    var usageCountedUntil: Int64 = 0
    var usageSessionCounted = false

    /// What flag rollouts stick to.
    public var connection: ConnectionInfo { ConnectionInfo(id: id, remoteAddress: remoteAddress) }

    init(id: UInt64, remoteAddress: String, transport: SessionTransport, openedAt: Int64) {
        self.id = id
        self.remoteAddress = remoteAddress
        self.transport = transport
        self.openedAt = openedAt
        lastMessageAt = openedAt
    }

    public var subscriptionCount: Int { subscriptions.count }
    public var channelCount: Int { cursors.count }
}
