/// Settings of the enrichment stage (`enrichment` in the configuration).
public struct EnrichmentConfig: Sendable, Equatable {
    /// Bookmakers whose no-vig probabilities make sharp-book consensus v1 (their mean).
    public var sharpBooks = ["pinnacle", "betfair"]
    /// Weight of each bookmaker in consensus v2 (0–1; books not listed weigh `defaultSharpness`).
    public var sharpness: [String: Double] = ["pinnacle": 1.0, "betfair": 0.9, "bet365": 0.4, "draftkings": 0.35, "fanduel": 0.35]
    public var defaultSharpness = 0.2
    /// Consensus v2 halves a quote's weight every this many seconds of age.
    public var consensusHalfLifeSeconds = 60.0
    /// An opportunity opens above this edge (return per unit staked) and closes at or below zero.
    public var minEdge = 0.0005
    /// Crypto and prediction quotes older than this (receive time) take no part in composite
    /// quotes or arbitrage: a venue that went quiet or down does not keep a phantom price.
    public var maxQuoteAgeSeconds = 30.0
    /// How often perpetuals settle funding, in hours (Binance and Deribit: 8): annualised basis
    /// and funding count 365 × 24 / this periods a year.
    public var fundingIntervalHours = 8.0
    /// Taker fee per venue as a fraction of the price, charged on each arbitrage leg.
    public var fees: [String: Double] = ["binance": 0.001, "coinbase": 0.006, "deribit": 0.0005, "polymarket": 0, "kalshi": 0.01]
    public init() {}
}
