/// A publication another cluster node made, as it travels through Redis: the channel, its
/// epoch and offset (the same on every node), the times, and each property's JSON value.
public struct RemotePublication: Sendable, Equatable {
    public let channel: String
    public let epoch: String
    public let offset: UInt64
    public let exchangeTime: Int64
    public let receiveTime: Int64
    public let fields: [StoredField]

    public init(channel: String, epoch: String, offset: UInt64, exchangeTime: Int64, receiveTime: Int64, fields: [StoredField]) {
        self.channel = channel
        self.epoch = epoch
        self.offset = offset
        self.exchangeTime = exchangeTime
        self.receiveTime = receiveTime
        self.fields = fields
    }
}

/// Remote publications of one channel held back while the stretch before them is fetched from
/// history.
final class RemoteCatchUp {
    var buffer: [RemotePublication]
    init(_ first: RemotePublication) { buffer = [first] }
}
