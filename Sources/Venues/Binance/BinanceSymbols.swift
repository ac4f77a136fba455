import HubCore

/// Binance symbols (`BTCUSDT`) and ccxt's unified form (`BTC/USDT`). Configured symbols map
/// both ways; others (in recordings) are split at the longest known quote asset.
public struct BinanceSymbols: Sendable {
    /// Quote assets Binance lists, longest first so `FDUSD` wins over `USD`.
    static let quotes = [
        "FDUSD", "USDT", "USDC", "BUSD", "TUSD", "DAI", "BTC", "ETH", "BNB", "EUR", "GBP", "TRY", "BRL", "JPY", "AUD", "USD", "XRP", "DOGE", "TRX",
    ]
    .sorted { $0.count > $1.count }

    private var toUnified: [String: String] = [:]

    public init(unified: [String] = []) {
        for u in unified { toUnified[Self.venue(u)] = u }
    }

    /// `BTC/USDT` → `BTCUSDT`.
    public static func venue(_ unified: String) -> String { unified.replacingOccurrences(of: "/", with: "").uppercased() }

    /// `BTCUSDT` → `BTC/USDT` (configured mapping first, else split at a known quote).
    public func unified(_ symbol: String) -> String {
        if let u = toUnified[symbol] { return u }
        let s = symbol.uppercased()
        for q in Self.quotes where s.hasSuffix(q) && s.count > q.count { return "\(s.dropLast(q.count))/\(q)" }
        return s
    }

    /// The stream name prefix: `btcusdt`.
    public static func stream(_ unified: String) -> String { venue(unified).lowercased() }
}
