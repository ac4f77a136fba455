import HubCore

/// What the Deribit adapter subscribes to and how it keeps the session healthy.
public struct DeribitFeedConfig: Sendable, Equatable {
    /// Instruments subscribed by name (ticker, book and trades channels each).
    public var instruments: [String] = ["BTC-PERPETUAL", "ETH-PERPETUAL"]
    /// Currencies whose options are discovered with `public/get_instruments` and subscribed.
    public var optionCurrencies: [String] = []
    /// Options per currency: the nearest expiry's strikes around the middle of the chain.
    public var maxOptionsPerCurrency = 6
    /// Notification interval: `100ms` works without authentication; `raw` needs credentials.
    public var interval = "100ms"
    /// Book levels published per side.
    public var bookDepth = 10
    /// `public/set_heartbeat` interval in seconds (Deribit's minimum is 10).
    public var heartbeatSeconds = 10
    /// No frame for this long means the feed is stale: reconnect. Defaults to 3 heartbeats.
    public var staleAfterSeconds: Double?
    /// Credentials for `public/auth` (client_credentials), from the environment in config.
    public var clientID: String?
    public var clientSecret: String?

    public init() {}

    public var staleAfter: Double { staleAfterSeconds ?? Double(heartbeatSeconds * 3) }
}
