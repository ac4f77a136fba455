import HubCore

/// Messages published through the API (`POST /api/publish`, the `publish` op) into the data
/// plane: the caller's roles must grant publishing to the channel, every value must be a
/// registered property that passes its rules, and each caller has a token bucket. What passes is
/// published like venue data — offsets, history, views and channel grants alike.
///
/// Threading: loop-confined.
final class Publisher {
    /// Why a message was refused: an HTTP status and code, the WebSocket error code, the field.
    struct Refusal: Error, Equatable {
        let status: Int
        let code: String
        let protocolCode: ProtocolError.Code
        let message: String
        let field: String?
        var retryAfterSeconds: Int? = nil
    }

    struct Published: Equatable {
        let channel: String
        let epoch: String
        let offset: UInt64

        /// `{"channel":…,"epoch":…,"offset":n}`: the REST answer and the op's reply.
        var json: [UInt8] {
            var out: [UInt8] = []
            JSONWriter.appendLiteral("{\"channel\":", to: &out)
            JSONWriter.appendString(channel, to: &out)
            JSONWriter.appendLiteral(",\"epoch\":", to: &out)
            JSONWriter.appendString(epoch, to: &out)
            JSONWriter.appendLiteral(",\"offset\":", to: &out)
            JSONWriter.appendInt(Int64(offset), to: &out)
            out.append(UInt8(ascii: "}"))
            return out
        }
    }

    private let pipeline: Pipeline
    private let config: HubConfig.Publish
    private let clock: HubClock
    /// Per caller: tokens left and when they were counted (monotonic ns).
    private var buckets: [String: (tokens: Double, at: UInt64)] = [:]
    private(set) var published: UInt64 = 0
    private(set) var refused: UInt64 = 0
    /// Cluster: the leases of feeds (a channel of one of these sources is that feed's).
    var leases: Set<String> = []

    init(pipeline: Pipeline, config: HubConfig.Publish, clock: HubClock) {
        self.pipeline = pipeline
        self.config = config
        self.clock = clock
    }

    /// A request refused before it got here (unreadable or oversized body).
    func countRefusal() { refused += 1 }

    func publish(_ request: PublishRequest, policy: AccessPolicy, caller: String) -> Result<Published, Refusal> {
        let result = attempt(request, policy: policy, caller: caller)
        if case .success = result { published += 1 } else { refused += 1 }
        return result
    }

    private func attempt(_ request: PublishRequest, policy: AccessPolicy, caller: String) -> Result<Published, Refusal> {
        func refuse(_ status: Int, _ code: String, _ pcode: ProtocolError.Code, _ message: String, field: String?) -> Result<Published, Refusal> {
            .failure(Refusal(status: status, code: code, protocolCode: pcode, message: message, field: field))
        }
        let name = request.channel
        guard let pattern = try? ChannelPattern(parsing: name), pattern.isExact, let stream = pattern.stream.flatMap(StreamKind.init(rawValue:)) else {
            return refuse(
                400, "invalid_body", .invalidChannel, "channel must be an exact channel name of a known stream (stream.venue.topic)", field: "channel")
        }
        let key = ChannelKey(stream: stream, source: pattern.venue!, instrument: pattern.instrument!)
        guard policy.mayPublish(key) else {
            return refuse(403, "forbidden", .forbidden, "your roles may not publish to '\(name.prefix(200))'", field: "channel")
        }
        if let wait = admit(caller) {
            var r = Refusal(
                status: 429, code: "rate_limited", protocolCode: .rateLimited,
                message: "at most \(config.ratePerSecond) publications per second (burst \(config.burst))", field: nil)
            r.retryAfterSeconds = wait
            return .failure(r)
        }
        let registry = pipeline.transform.registry
        var fields: [Field] = []
        for item in request.data {
            guard let id = registry.id(item.name) else {
                return refuse(422, "unprocessable", .unknownProperty, "data.\(item.name.prefix(64)): not a registered property", field: "data.\(item.name)")
            }
            if let problem = registry.problem(id, item.value) {
                return refuse(422, "unprocessable", .badRequest, "data.\(item.name): \(problem)", field: "data.\(item.name)")
            }
            fields.append(Field(id, item.value))
        }
        // In a cluster a channel has one producer: the node running its venue's feed, else the
        // coordinator.
        let hub = pipeline.hub
        let lease = leases.contains(key.source) ? key.source : Pipeline.coordinatorLease
        // Channels the hub derives (source status, arbitrage, composites) have their own producer.
        if hub.leases != nil, key.stream == .sources || key.stream == .arb || key.source == "composite" {
            return refuse(
                503, "not_owner", .notOwner, "the hub derives '\(name.prefix(200))' itself: in a cluster it cannot be published to", field: "channel")
        }
        guard hub.holds(lease) else {
            return refuse(
                503, "not_owner", .notOwner,
                "this cluster node does not produce '\(name.prefix(200))': publish through the node holding lease '\(lease)' (GET /api/cluster)",
                field: "channel")
        }
        let now = clock.wallMicroseconds()
        let tick = Tick(
            source: key.source, instrument: key.instrument, stream: stream, exchangeTime: now / 1000, receiveTime: now, fields: fields)
        let offset = hub.producing(lease) { hub.publish(tick) }
        let epoch = pipeline.hub.channel(named: name)?.epoch ?? ""
        return .success(Published(channel: name, epoch: epoch, offset: offset))
    }

    /// Takes a token from `caller`'s bucket; nil when there was one, else whole seconds until there is.
    private func admit(_ caller: String) -> Int? {
        let now = clock.monotonicNanoseconds()
        let capacity = Double(config.burst), rate = config.ratePerSecond
        func refilled(_ b: (tokens: Double, at: UInt64)) -> Double { min(capacity, b.tokens + Double(now &- b.at) / 1e9 * rate) }
        var bucket = buckets[caller] ?? (capacity, now)
        bucket.tokens = refilled(bucket)
        bucket.at = now
        defer {
            buckets[caller] = bucket
            // Bounded: a bucket that has filled up again carries nothing and is forgotten.
            if buckets.count > 100_000 { buckets = buckets.filter { refilled($0.value) < capacity } }
        }
        guard bucket.tokens >= 1 else { return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up))) }
        bucket.tokens -= 1
        return nil
    }
}
