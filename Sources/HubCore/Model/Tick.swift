/// One normalised update for one instrument of one source, after transformation.
public struct Tick: Sendable {
    /// Venue identifier as used in channel names (`deribit`).
    public var source: String
    /// Venue instrument in the hub's naming (`BTC-PERPETUAL`, `BTC/USDT`).
    public var instrument: String
    public var stream: StreamKind
    /// Venue timestamp, milliseconds since the Unix epoch (0 when the venue gives none).
    public var exchangeTime: Int64
    /// When the hub received the frame, microseconds since the Unix epoch.
    public var receiveTime: Int64
    /// Venue sequence where one exists (change_id, trade_seq), else 0.
    public var sequence: UInt64
    public var fields: [Field]
    /// Properties this tick withdraws from its state channel's merged state: derived values
    /// that no longer hold (a best line when every quote is suspended), or a venue's book side
    /// that emptied. Usually empty.
    public var removed: [PropertyID]

    public init(
        source: String, instrument: String, stream: StreamKind, exchangeTime: Int64, receiveTime: Int64,
        sequence: UInt64 = 0, fields: [Field] = [], removed: [PropertyID] = []
    ) {
        self.source = source
        self.instrument = instrument
        self.stream = stream
        self.exchangeTime = exchangeTime
        self.receiveTime = receiveTime
        self.sequence = sequence
        self.fields = fields
        self.removed = removed
    }

    public func value(_ id: PropertyID) -> PropertyValue? {
        for f in fields where f.id == id { return f.value }
        return nil
    }

    /// Sets `id` to `value`, replacing an earlier value of the same property.
    public mutating func set(_ id: PropertyID, _ value: PropertyValue) {
        set(id, value, at: fields.firstIndex { $0.id == id })
    }

    /// `set` for a caller that already knows where `id` sits (its first occurrence), or that
    /// it is absent (nil): found while reading the fields, without searching them again.
    public mutating func set(_ id: PropertyID, _ value: PropertyValue, at index: Int?) {
        if let index {
            fields[index].value = value
        } else {
            fields.append(Field(id, value))
        }
    }

    /// `<stream>.<source>.<instrument>`
    public var channelName: String { "\(stream.rawValue).\(source).\(instrument)" }
}
