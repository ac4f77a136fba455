/// Builders for the server's non-publication messages (replies, errors, pushes).
public enum ServerMessage {
    /// `{"id":N,"result":<result>}` where `result` is already-encoded JSON.
    public static func reply(id: Int64, result: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.appendLiteral("{\"id\":", to: &out)
        JSONWriter.appendInt(id, to: &out)
        JSONWriter.appendLiteral(",\"result\":", to: &out)
        out.append(contentsOf: result)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `{"id":N,"error":{"code":C,"message":"…"}}`; without `id` when the request had none.
    public static func error(_ e: ProtocolError) -> [UInt8] {
        var out: [UInt8] = []
        out.append(UInt8(ascii: "{"))
        if let id = e.id {
            JSONWriter.appendLiteral("\"id\":", to: &out)
            JSONWriter.appendInt(id, to: &out)
            out.append(UInt8(ascii: ","))
        }
        JSONWriter.appendLiteral("\"error\":{\"code\":", to: &out)
        JSONWriter.appendInt(Int64(e.code), to: &out)
        JSONWriter.appendLiteral(",\"message\":", to: &out)
        JSONWriter.appendString(e.message, to: &out)
        JSONWriter.appendLiteral("}}", to: &out)
        return out
    }

    /// `{"ch":…,"epoch":…,"off":…}`: a channel in a subscribe reply (`off` = its latest offset).
    public static func appendChannelEntry(_ channel: Channel, to out: inout [UInt8]) {
        JSONWriter.appendLiteral("{\"ch\":", to: &out)
        JSONWriter.appendString(channel.name, to: &out)
        JSONWriter.appendLiteral(",\"epoch\":", to: &out)
        JSONWriter.appendString(channel.epoch, to: &out)
        JSONWriter.appendLiteral(",\"off\":", to: &out)
        JSONWriter.appendUInt(channel.ring.lastOffset, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// `{"type":"channel","ch":…,"epoch":…,"sub":…}`: a channel that appeared after a wildcard
    /// subscription and now delivers under it.
    public static func channelJoined(_ channel: Channel, subscription: String) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.appendLiteral("{\"type\":\"channel\",\"ch\":", to: &out)
        JSONWriter.appendString(channel.name, to: &out)
        JSONWriter.appendLiteral(",\"epoch\":", to: &out)
        JSONWriter.appendString(channel.epoch, to: &out)
        JSONWriter.appendLiteral(",\"sub\":", to: &out)
        JSONWriter.appendString(subscription, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }
}
