/// What a feed adapter decodes from venue bytes, before transformation: venue fields, keyed by
/// their index in the venue's `VenueSchema`, not yet mapped to registered properties.
public struct RawEvent: Sendable {
    public var source: String
    public var instrument: String
    public var stream: StreamKind
    public var exchangeTime: Int64
    public var receiveTime: Int64
    public var sequence: UInt64
    public var fields: [RawField]
    /// Venue fields that no longer have a value (a book side that emptied): withdrawn from the
    /// channel's state, by their index in the venue schema.
    public var removed: [UInt16] = []

    public init(
        source: String, instrument: String, stream: StreamKind, exchangeTime: Int64, receiveTime: Int64,
        sequence: UInt64 = 0, fields: [RawField] = []
    ) {
        self.source = source
        self.instrument = instrument
        self.stream = stream
        self.exchangeTime = exchangeTime
        self.receiveTime = receiveTime
        self.sequence = sequence
        self.fields = fields
    }
}

/// A venue field: `key` indexes `VenueSchema.fields`.
public struct RawField: Equatable, Sendable {
    public var key: UInt16
    public var value: PropertyValue
    public init(_ key: UInt16, _ value: PropertyValue) {
        self.key = key
        self.value = value
    }
}
