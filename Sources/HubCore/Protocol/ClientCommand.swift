import SimdJSON

/// A request from a client (docs/protocol.md §Requests), validated field by field.
public struct ClientCommand: Equatable, Sendable {
    public let id: Int64
    public let op: Op

    public enum Op: Equatable, Sendable {
        case subscribe(Subscribe)
        case unsubscribe(channel: String)
        case ping
        /// Authenticate (the first message, when the connection carried no token).
        case auth(token: String)
        /// Replace the session's token before it expires (same subject).
        case refresh(token: String)
        /// Publish a message into a channel (`publish:write` and a role's publish grant).
        case publish(PublishRequest)
    }

    public struct Subscribe: Equatable, Sendable {
        public var channel: String
        public var fields: [String]?
        public var since: Position?
        /// Which publications to deliver (nil: all).
        public var filter: SubscriptionFilter?
    }

    /// A position in a channel's history: recover everything after `offset` within `epoch`.
    public struct Position: Equatable, Sendable {
        public var epoch: String
        public var offset: UInt64
        public init(epoch: String, offset: UInt64) {
            self.epoch = epoch
            self.offset = offset
        }
    }

    /// Parses one client message. Throws `ProtocolError` naming the offending field.
    public init(parsing root: JSONElement) throws(ProtocolError) {
        guard root.kind == .object else { throw ProtocolError(.badRequest, "a request is a JSON object") }
        guard let idValue = root["id"] else { throw ProtocolError(.badRequest, "id is required") }
        guard let id = idValue.int64 else { throw ProtocolError(.badRequest, "id must be an integer") }
        self.id = id
        guard let opValue = root["op"] else { throw ProtocolError(.badRequest, "op is required", id: id) }
        guard let opName = opValue.string else { throw ProtocolError(.badRequest, "op must be a string", id: id) }
        switch opName {
        case "subscribe":
            let channel = try Self.channel(root, id)
            var sub = Subscribe(channel: channel)
            if let fields = root["fields"], !fields.isNull {
                guard let arr = fields.array else { throw ProtocolError(.badRequest, "fields must be an array of strings", id: id) }
                var names: [String] = []
                for f in arr {
                    guard let name = f.string else { throw ProtocolError(.badRequest, "fields must be an array of strings", id: id) }
                    names.append(name)
                }
                sub.fields = names
            }
            if let since = root["since"], !since.isNull {
                guard since.kind == .object, let epoch = since["epoch"]?.string else {
                    throw ProtocolError(.badRequest, "since.epoch must be a string", id: id)
                }
                guard let offset = since["offset"]?.uint64 else {
                    throw ProtocolError(.badRequest, "since.offset must be a non-negative integer", id: id)
                }
                sub.since = Position(epoch: epoch, offset: offset)
            }
            if let filter = root["filter"], !filter.isNull {
                sub.filter = try SubscriptionFilter(parsing: filter, id: id)
            }
            op = .subscribe(sub)
        case "unsubscribe":
            op = .unsubscribe(channel: try Self.channel(root, id))
        case "publish":
            do {
                op = .publish(try PublishRequest(parsing: root))
            } catch {
                throw ProtocolError(.badRequest, error.message, id: id)
            }
        case "ping":
            op = .ping
        case "auth", "refresh":
            guard let t = root["token"] else { throw ProtocolError(.badRequest, "token is required", id: id) }
            guard let token = t.string, !token.isEmpty, token.utf8.count <= 8192 else {
                throw ProtocolError(.badRequest, "token must be a non-empty string", id: id)
            }
            op = opName == "auth" ? .auth(token: token) : .refresh(token: token)
        default:
            throw ProtocolError(.unknownOp, "unknown op '\(opName.prefix(64))'", id: id)
        }
    }

    private static func channel(_ root: JSONElement, _ id: Int64) throws(ProtocolError) -> String {
        guard let c = root["channel"] else { throw ProtocolError(.badRequest, "channel is required", id: id) }
        guard let s = c.string else { throw ProtocolError(.badRequest, "channel must be a string", id: id) }
        return s
    }
}
