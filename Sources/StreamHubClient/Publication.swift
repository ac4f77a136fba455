import Foundation

/// One publication: its channel, offset and epoch, whether it is a snapshot, the venue time (ms),
/// and its `data` as JSON — read as a dictionary, by name, or decoded into your own type.
public struct Publication: Sendable {
    public let channel: String
    public let offset: UInt64
    public let epoch: String?
    public let snapshot: Bool
    public let venueTime: Int64
    /// The `data` object as JSON.
    public let json: Data

    /// `data` decoded into `T` (property names as keys: `struct Quote: Decodable { let bid: Double }`).
    public func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(T.self, from: json) }

    /// `data` as a dictionary.
    public var data: [String: Any] { (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] ?? [:] }

    /// A numeric property (nil when absent or not a number).
    public func number(_ name: String) -> Double? { (data[name] as? NSNumber)?.doubleValue }
    public func string(_ name: String) -> String? { data[name] as? String }
}

/// The `result` of a reply, as JSON.
public struct Reply: Sendable {
    public let json: Data
    public var object: [String: Any] { (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] ?? [:] }
}
