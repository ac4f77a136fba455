import HubCore

/// Binance symbols (`BTCUSDT`, a delivery contract `BTCUSDT_250328`) and ccxt's unified form:
/// `BTC/USDT` on spot, `BTC/USDT:USDT` for a USDⓈ-M perpetual and `BTC/USDT:USDT-250328` for a
/// delivery contract (the settlement currency after the colon, the expiry after the dash).
/// Configured symbols map both ways; others (in recordings) are split at the longest known quote
/// asset.
public struct BinanceSymbols: Sendable {
    /// Quote assets Binance lists, longest first so `FDUSD` wins over `USD`.
    static let quotes = [
        "FDUSD", "USDT", "USDC", "BUSD", "TUSD", "DAI", "BTC", "ETH", "BNB", "EUR", "GBP", "TRY", "BRL", "JPY", "AUD", "USD", "XRP", "DOGE", "TRX",
    ]
    .sorted { $0.count > $1.count }

    private var toUnified: [String: String] = [:]
    /// Futures: unified symbols carry the settlement currency.
    private let settles: Bool

    public init(unified: [String] = [], settles: Bool = false) {
        self.settles = settles
        for u in unified { toUnified[Self.venue(u)] = u }
    }

    /// `BTC/USDT` → `BTCUSDT`; `BTC/USDT:USDT` → `BTCUSDT`; `BTC/USDT:USDT-250328` → `BTCUSDT_250328`.
    public static func venue(_ unified: String) -> String {
        let (pair, settle) = split(unified)
        let expiry = settle.flatMap { s in s.firstIndex(of: "-").map { "_" + s[s.index(after: $0)...] } } ?? ""
        return (pair.replacingOccurrences(of: "/", with: "") + expiry).uppercased()
    }

    /// The pair and what follows the colon (`BTC/USDT`, `USDT-250328`).
    static func split(_ unified: String) -> (pair: String, settle: String?) {
        guard let colon = unified.firstIndex(of: ":") else { return (unified, nil) }
        return (String(unified[..<colon]), String(unified[unified.index(after: colon)...]))
    }

    /// `BTCUSDT` → `BTC/USDT` (`BTC/USDT:USDT` on futures): the configured mapping first, else
    /// split at a known quote.
    public func unified(_ symbol: String) -> String {
        if let u = toUnified[symbol] { return u }
        let s = symbol.uppercased()
        let parts = s.split(separator: "_", maxSplits: 1)
        let pair = String(parts.first ?? "")
        for q in Self.quotes where pair.hasSuffix(q) && pair.count > q.count {
            let unified = "\(pair.dropLast(q.count))/\(q)"
            guard settles else { return unified }
            return parts.count == 2 ? "\(unified):\(q)-\(parts[1])" : "\(unified):\(q)"
        }
        return s
    }

    /// The stream name prefix: `btcusdt`.
    public static func stream(_ unified: String) -> String { venue(unified).lowercased() }
}
