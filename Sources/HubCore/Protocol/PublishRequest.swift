import SimdJSON

/// A message to publish (`POST /api/publish`, the `publish` op): a channel and the values of
/// its properties, read from `{"channel": "announcements.desk.btc", "data": {...}}`.
public struct PublishRequest: Equatable, Sendable {
    public struct Value: Equatable, Sendable {
        public let name: String
        public let value: PropertyValue
    }

    public let channel: String
    public let data: [Value]

    /// Properties one message may carry, and the longest string value.
    public static let maxProperties = 64
    public static let maxStringBytes = 4096

    /// Why a request cannot be read, naming the field (`data.severity`).
    public struct Failure: Error, Equatable, Sendable {
        public let field: String
        public let message: String
        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }
    }

    public init(channel: String, data: [Value]) {
        self.channel = channel
        self.data = data
    }

    /// Reads `channel` and `data` from a JSON object (other keys are left to the caller).
    public init(parsing root: JSONElement) throws(Failure) {
        guard let channel = root["channel"]?.string, !channel.isEmpty else {
            throw Failure(field: "channel", message: "channel must be a channel name (stream.venue.topic)")
        }
        guard let object = root["data"]?.object else {
            throw Failure(field: "data", message: "data must be an object of property values")
        }
        var values: [Value] = []
        for member in object {
            let name = member.keyString
            guard values.count < Self.maxProperties else {
                throw Failure(field: "data", message: "data has more than \(Self.maxProperties) properties")
            }
            guard !name.isEmpty, name.utf8.count <= 64 else { throw Failure(field: "data", message: "a property name is 1 to 64 bytes") }
            guard !values.contains(where: { $0.name == name }) else { throw Failure(field: "data.\(name)", message: "data.\(name) appears twice") }
            let v = member.value
            let value: PropertyValue
            if let s = v.string {
                guard s.utf8.count <= Self.maxStringBytes else {
                    throw Failure(field: "data.\(name)", message: "data.\(name) is longer than \(Self.maxStringBytes) bytes")
                }
                value = .string(s)
            } else if let b = v.bool {
                value = .bool(b)
            } else if let i = v.int64 {
                value = .integer(i)
            } else if let d = v.double, d.isFinite {
                value = .number(d)
            } else {
                throw Failure(field: "data.\(name)", message: "data.\(name) must be a string, number or boolean")
            }
            values.append(Value(name: name, value: value))
        }
        guard !values.isEmpty else { throw Failure(field: "data", message: "data must carry at least one property") }
        self.init(channel: channel, data: values)
    }
}
