import HubCore

/// Black–Scholes price and greeks for European options (used by the options simulator).
public struct BlackScholes: Sendable, Equatable {
    public let price: Double
    public let delta: Double
    public let gamma: Double
    /// Per 1 vol point (1 %).
    public let vega: Double
    /// Per calendar day.
    public let theta: Double
    /// Per 1 % rate change.
    public let rho: Double

    /// - Parameters: spot S, strike K, years to expiry T, volatility σ (0.6 = 60 %), rate r.
    public init(call: Bool, spot s: Double, strike k: Double, years t: Double, volatility v: Double, rate r: Double = 0) {
        let t = max(t, 1e-6)
        let sq = t.squareRoot()
        let d1 = (_log(s / k) + (r + v * v / 2) * t) / (v * sq)
        let d2 = d1 - v * sq
        let disc = _exp(-r * t)
        if call {
            price = s * normalCDF(d1) - k * disc * normalCDF(d2)
            delta = normalCDF(d1)
            theta = (-s * normalPDF(d1) * v / (2 * sq) - r * k * disc * normalCDF(d2)) / 365
            rho = k * t * disc * normalCDF(d2) / 100
        } else {
            price = k * disc * normalCDF(-d2) - s * normalCDF(-d1)
            delta = normalCDF(d1) - 1
            theta = (-s * normalPDF(d1) * v / (2 * sq) + r * k * disc * normalCDF(-d2)) / 365
            rho = -k * t * disc * normalCDF(-d2) / 100
        }
        gamma = normalPDF(d1) / (s * v * sq)
        vega = s * normalPDF(d1) * sq / 100
    }
}
