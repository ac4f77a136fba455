import HubCore
import WebSocketLoop

/// `GET /api/channels?pattern=…&limit=N`: the channels that exist and the caller's roles allow,
/// by name — what a channel browser offers to subscribe to.
///
/// Threading: loop-confined.
final class ChannelsAPI {
    private let hub: Hub

    init(hub: Hub) {
        self.hub = hub
    }

    struct Entry: Encodable {
        let ch: String
        let stream: String
        let venue: String
        let instrument: String
        /// The channel's latest offset (0 before its first publication).
        let off: UInt64
    }

    struct List: Encodable {
        let channels: [Entry]
        /// Channels matching and allowed, before `limit`.
        let total: Int
    }

    func routes(_ router: HTTPRouter) {
        router.add("GET", "/api/channels", .scope("streams:read"), doc: .channels) { [unowned self] req, ctx, respond in
            let pattern: ChannelPattern
            let limit: Int
            do {
                pattern = try ChannelPattern(parsing: req.queryItems["pattern"] ?? "*.*.*")
            } catch {
                return respond(.error(400, code: "invalid_query", message: "pattern: \(error)", field: "pattern"))
            }
            do throws(HTTPError) {
                limit = try UsersAPI.intQuery(req, "limit", default: 1000, range: 1...10_000)
            } catch {
                return respond(error.response)
            }
            let policy = ctx.caller!.policy
            let matching = hub.allChannels.filter { pattern.matches($0.key) && policy.allows($0.key) }.sorted { $0.name < $1.name }
            respond(
                .json(
                    List(
                        channels: matching.prefix(limit).map {
                            Entry(ch: $0.name, stream: $0.key.stream.rawValue, venue: $0.key.source, instrument: $0.key.instrument, off: $0.ring.lastOffset)
                        }, total: matching.count)))
        }
    }
}
