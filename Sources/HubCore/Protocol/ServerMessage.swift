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

extension ServerMessage {
    /// `{"type":"unsubscribed","channel":…,"reason":…}`: the server ended a subscription (or
    /// one channel of a pattern) because permissions changed.
    public static func unsubscribed(channel: String, reason: String) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.appendLiteral("{\"type\":\"unsubscribed\",\"channel\":", to: &out)
        JSONWriter.appendString(channel, to: &out)
        JSONWriter.appendLiteral(",\"reason\":", to: &out)
        JSONWriter.appendString(reason, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `{"type":"permissions","roles":[…],"scopes":[…]}` after a change.
    public static func permissions(_ p: AccessPolicy) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.appendLiteral("{\"type\":\"permissions\",", to: &out)
        appendRolesAndScopes(p, &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `{"type":"expiring","expiresAt":µs,"inSeconds":s}`: refresh before it runs out.
    public static func expiring(at exp: Int64, now: Int64) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.appendLiteral("{\"type\":\"expiring\",\"expiresAt\":", to: &out)
        JSONWriter.appendInt(exp, to: &out)
        JSONWriter.appendLiteral(",\"inSeconds\":", to: &out)
        JSONWriter.appendInt(max(0, (exp - now) / 1_000_000), to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `{"type":"flags","flags":[…]}`: the feature flags now on for this session (after a change).
    public static func flags(_ on: Set<String>) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.appendLiteral("{\"type\":\"flags\",\"flags\":", to: &out)
        appendList(on.sorted(), &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    private static func appendList(_ items: [String], _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, x) in items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(x, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// The result of `auth`/`refresh`: `{"subject":…,"roles":[…],"scopes":[…],"flags":[…],"expiresAt":µs}`.
    public static func identity(_ p: Principal, _ policy: AccessPolicy?) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.appendLiteral("{\"subject\":", to: &out)
        JSONWriter.appendString(p.subject, to: &out)
        if let policy {
            out.append(UInt8(ascii: ","))
            appendRolesAndScopes(policy, &out)
            JSONWriter.appendLiteral(",\"flags\":", to: &out)
            appendList(policy.flags.sorted(), &out)
        }
        if let exp = p.expiresAt {
            JSONWriter.appendLiteral(",\"expiresAt\":", to: &out)
            JSONWriter.appendInt(exp, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    private static func appendRolesAndScopes(_ p: AccessPolicy, _ out: inout [UInt8]) {
        JSONWriter.appendLiteral("\"roles\":[", to: &out)
        for (i, r) in p.roles.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(r, to: &out)
        }
        JSONWriter.appendLiteral("],\"scopes\":[", to: &out)
        for (i, sc) in p.scopes.sorted().enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(sc, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }
}
