/// Where publications go beyond the in-memory rings (Redis, when configured), and where a
/// restarted hub finds its channels again: epoch, last offset and latest state.
///
/// Threading: `record` and `fetch` are called on the loop thread and must not block it
/// (implementations queue the work for their own thread); `restore` runs once at start-up;
/// `health` is a thread-safe snapshot.
public protocol HistoryStore: AnyObject, Sendable {
    /// A publication to persist: the channel's latest state and an entry of its history.
    func record(_ publication: StoredPublication)
    /// Publications `after < offset ≤ through` of `channel` in `epoch`, in order, or nil when
    /// they are not all available. `reply` may run on any thread. Returns a ticket for
    /// `cancelFetch`.
    @discardableResult
    func fetch(channel: String, epoch: String, after: UInt64, through: UInt64, reply: @escaping @Sendable ([StoredMessage]?) -> Void) -> UInt64
    /// Drops a fetch not served yet (its reply never comes); one served or running is left be.
    func cancelFetch(_ ticket: UInt64)
    /// Every persisted channel (start-up). Failure to reach the store returns what it can (or
    /// nothing) and shows in `health`; the hub serves from memory regardless.
    func restore() -> [RestoredChannel]
    var health: HistoryStoreHealth { get }
}

/// One publication handed to the store: its full-view encoding carries the properties.
public struct StoredPublication: Sendable {
    public let channel: String
    public let epoch: String
    public let offset: UInt64
    public let exchangeTime: Int64
    public let receiveTime: Int64
    public let encoded: EncodedPublication
    /// In a cluster: the lease it was made under, whose token the store checks before writing.
    public let fence: Fence?
    /// The first publication of an epoch this node started: the channel's stored history is
    /// replaced (any other publication only appends, whichever node made the history before).
    public let startsEpoch: Bool

    public init(
        channel: String, epoch: String, offset: UInt64, exchangeTime: Int64, receiveTime: Int64, encoded: EncodedPublication, fence: Fence? = nil,
        startsEpoch: Bool = false
    ) {
        self.startsEpoch = startsEpoch
        self.channel = channel
        self.epoch = epoch
        self.offset = offset
        self.exchangeTime = exchangeTime
        self.receiveTime = receiveTime
        self.encoded = encoded
        self.fence = fence
    }

    /// `(property name, JSON value text)` of every property, from the encoding's spans.
    public var fields: [(name: String, json: ArraySlice<UInt8>)] {
        encoded.spans.map { span in
            let slice = encoded.bytes[Int(span.start)..<Int(span.end)]
            // A span is `"name":value`; names are [A-Za-z0-9_], so the first `":` ends the key.
            var i = slice.startIndex + 1
            while i < slice.endIndex && slice[i] != UInt8(ascii: "\"") { i += 1 }
            let name = String(decoding: slice[(slice.startIndex + 1)..<i], as: UTF8.self)
            return (name, slice[min(i + 2, slice.endIndex)...])
        }
    }
}

/// A publication read back from the store.
public struct StoredMessage: Sendable, Equatable {
    public let offset: UInt64
    public let exchangeTime: Int64
    public let receiveTime: Int64
    /// `(property name, JSON value text)`.
    public let fields: [StoredField]

    public init(offset: UInt64, exchangeTime: Int64, receiveTime: Int64, fields: [StoredField]) {
        self.offset = offset
        self.exchangeTime = exchangeTime
        self.receiveTime = receiveTime
        self.fields = fields
    }
}

public struct StoredField: Sendable, Equatable {
    public let name: String
    public let json: [UInt8]
    public init(name: String, json: [UInt8]) {
        self.name = name
        self.json = json
    }
}

/// A channel as persisted: enough to continue its offsets and epoch, and its latest state.
public struct RestoredChannel: Sendable, Equatable {
    public let name: String
    public let epoch: String
    public let offset: UInt64
    public let exchangeTime: Int64
    public let receiveTime: Int64
    public let fields: [StoredField]

    public init(name: String, epoch: String, offset: UInt64, exchangeTime: Int64, receiveTime: Int64, fields: [StoredField]) {
        self.name = name
        self.epoch = epoch
        self.offset = offset
        self.exchangeTime = exchangeTime
        self.receiveTime = receiveTime
        self.fields = fields
    }
}

/// What `/healthz` reports about the store.
public struct HistoryStoreHealth: Sendable, Equatable, Encodable {
    public enum State: String, Sendable, Encodable { case ok, down }
    public var backend: String
    public var state: State
    /// Writes made: history entries and state updates.
    public var writes: UInt64 = 0
    /// Writes that failed (Redis down or erroring); state is retried, history is not.
    public var failedWrites: UInt64 = 0
    /// Cluster: writes Redis refused because the lease they were made under had moved on.
    public var fencedWrites: UInt64 = 0
    /// History entries dropped before reaching Redis (queue over its bound while down).
    public var droppedHistory: UInt64 = 0
    /// Publications waiting for the writer.
    public var pending = 0
    public var reconnects: UInt64 = 0
    public var fetches: UInt64 = 0
    /// Fetches cancelled before they were served (their client unsubscribed or left).
    public var cancelledFetches: UInt64 = 0
    public var lastError: String?

    public init(backend: String, state: State) {
        self.backend = backend
        self.state = state
    }
}
