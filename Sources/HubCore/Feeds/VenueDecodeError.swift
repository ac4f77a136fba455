/// Why a venue frame or REST body could not be decoded (any venue): counted with the source's
/// decode errors and kept as its `lastError`; the frame is skipped, never fatal.
public struct VenueDecodeError: Error, Equatable, CustomStringConvertible, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
