/// Descriptions of the data routes: state, channels, streams, publish, arbitrage and ORCA odds
/// (docs/rest.md §State, §Publish, §Arbitrage, §ORCA odds, §Streams).
extension RouteDoc {
    static let state = RouteDoc(
        tag: "data", summary: "A channel's latest state, with the properties the caller's roles allow",
        description: "The channel name may contain `/` (`ticker.binance.BTC/USDT`). A channel the caller may not see is not found.",
        responses: [.ok(Schema.anyObject.described("The state object of docs/protocol.md (`ch`, `off`, `data`, …)"))])
    static let channels = RouteDoc(
        tag: "data", summary: "The channels that exist and the caller may subscribe to",
        query: [
            Parameter(name: "pattern", schema: .string, description: "A channel pattern (`ticker.*.*`, the default `*.*.*`)"),
            Parameter(name: "limit", schema: .integer(1...10_000), description: "At most this many (default 1000)"),
        ],
        responses: [
            .ok(
                .object(
                    [
                        "channels": .array(
                            .object(
                                ["ch": .string, "stream": .string, "venue": .string, "instrument": .string, "off": .integer],
                                required: ["ch", "stream", "venue", "instrument", "off"])),
                        "total": Schema.integer.described("Matching and allowed, before limit"),
                    ], required: ["channels", "total"]))
        ])
    static let streams = RouteDoc(
        tag: "data", summary: "Every upstream source: state, rates, counters and channels",
        responses: [
            .ok(
                .object(
                    [
                        "sources": .array(
                            .object(["name": .string, "state": .oneOf(["connecting", "live", "degraded", "down"])], required: ["name", "state"])),
                        "count": .integer,
                    ], required: ["sources", "count"]))
        ])
    static let publish = RouteDoc(
        tag: "data", summary: "Publish a message into a channel the caller's roles may publish to",
        description: "History, offsets, views and access work as for venue data; properties of the stream are validated.",
        body: .object(
            [
                "channel": Schema.string(minLength: 1).described("An exact channel: `announcements.<venue>.<topic>`, `alerts.*`, …"),
                "data": Schema(["type": "object", "minProperties": .number(1), "maxProperties": .number(64)]).described(
                    "Property values: strings, numbers or booleans"),
            ], required: ["channel", "data"]),
        responses: [.created(.object(["channel": .string, "epoch": .string, "offset": .integer], required: ["channel", "epoch", "offset"]))],
        errors: [
            403: "The caller's roles may not publish to the channel", 413: "The body is over publish.maxBytes",
            422: "A property that is not registered or a value that does not validate", 429: "Over the caller's publish rate; `Retry-After` says when",
            503: "Cluster: another node produces this channel (`not_owner`; `GET /api/cluster` names it)",
        ])
    static let arbitrage = RouteDoc(
        tag: "data", summary: "Open cross-venue opportunities the caller may see",
        query: [Parameter(name: "kind", schema: .oneOf(["crypto", "prediction", "sportsbook"]), description: "Only this kind")],
        responses: [
            .ok(
                .object(
                    [
                        "opportunities": .array(
                            .object(
                                [
                                    "kind": .string, "id": .string, "channel": .string, "edge": .number, "legs": .string, "size": .number,
                                    "firstSeen": .integer,
                                    "lastSeen": .integer,
                                ], required: ["kind", "id", "channel", "edge"])),
                        "count": .integer,
                    ], required: ["opportunities", "count"]))
        ])
    static let eventSummary = Schema.object(
        [
            "eventId": .string, "sport": .string, "league": .string, "participants": .array(.string), "commenceTime": .integer, "status": .string,
            "markets": .integer,
        ], required: ["eventId", "participants", "markets"])
    static let orcaEvents = RouteDoc(
        tag: "data", summary: "ORCA sportsbook events with odds the caller may see",
        query: [
            Parameter(name: "sport", schema: .string, description: "Only this sport"),
            Parameter(name: "status", schema: .string, description: "Only events in this status"),
        ],
        responses: [.ok(.object(["events": .array(eventSummary), "count": .integer], required: ["events", "count"]))])
    static let orcaOdds = RouteDoc(
        tag: "data", summary: "An event's markets, outcomes and bookmaker prices",
        responses: [
            .ok(
                .object(
                    [
                        "event": eventSummary,
                        "markets": .array(
                            .object(
                                [
                                    "marketId": .string, "marketType": .string, "line": .number,
                                    "outcomes": .array(
                                        .object(
                                            [
                                                "outcomeId": .string, "name": .string, "participant": .string,
                                                "best": .object(["bookmaker": .string, "decimal": .number], required: ["bookmaker", "decimal"]),
                                                "impliedProbability": .number, "sharpConsensus": .number, "sharpConsensusV2": .number,
                                                "prices": .array(
                                                    .object(
                                                        [
                                                            "bookmaker": .string, "decimal": .number, "american": .integer, "updatedAt": .integer,
                                                            "suspended": .boolean, "channel": .string,
                                                        ], required: ["bookmaker", "updatedAt", "channel"])),
                                            ], required: ["outcomeId", "name", "prices"])),
                                ], required: ["marketId", "outcomes"])),
                    ], required: ["event", "markets"]))
        ])
}
