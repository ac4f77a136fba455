extension HubConfig {
    /// Limits of the publish API (`POST /api/publish`, the `publish` op).
    public struct Publish: Sendable, Equatable {
        /// Sustained publications per second per caller (a token bucket)…
        public var ratePerSecond = 20.0
        /// …and how many may come at once.
        public var burst = 40
        /// The largest `POST /api/publish` body.
        public var maxBytes = 65_536
        public init() {}
    }
}

extension HubConfig.Publish: Decodable {
    enum Keys: String, CodingKey, CaseIterable { case ratePerSecond, burst, maxBytes }
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        self.init()
        ratePerSecond = try c.value(.ratePerSecond, ratePerSecond)
        burst = try c.value(.burst, burst)
        maxBytes = try c.value(.maxBytes, maxBytes)
        guard ratePerSecond > 0 && ratePerSecond <= 100_000 else {
            throw DecodingError.dataCorruptedError(forKey: .ratePerSecond, in: c, debugDescription: "must be more than 0 and at most 100000")
        }
        guard (1...100_000).contains(burst) else {
            throw DecodingError.dataCorruptedError(forKey: .burst, in: c, debugDescription: "must be between 1 and 100000")
        }
        guard (256...1_048_576).contains(maxBytes) else {
            throw DecodingError.dataCorruptedError(forKey: .maxBytes, in: c, debugDescription: "must be between 256 and 1048576")
        }
    }
}
