/// Validation of one configuration section: each failed check throws a `ConfigError` naming
/// the key under the section's prefix (`feeds.binance` + `symbols[0]`).
public struct ConfigCheck: Sendable {
    public let prefix: String

    public init(prefix: String) { self.prefix = prefix }

    /// The full key of `key` under this section.
    public func key(_ key: String) -> String {
        prefix.isEmpty ? key : key.hasPrefix("[") ? prefix + key : "\(prefix).\(key)"
    }

    /// Throws `message` at `key` unless `ok`.
    public func require(_ ok: Bool, _ key: String, _ message: @autoclosure () -> String) throws(ConfigError) {
        if !ok { throw ConfigError(key: self.key(key), message()) }
    }

    /// A `ws://` or `wss://` URL.
    public func webSocketURL(_ url: String, _ key: String = "url") throws(ConfigError) {
        try require(url.hasPrefix("wss://") || url.hasPrefix("ws://"), key, "must be a ws:// or wss:// URL")
    }

    /// A ccxt unified symbol (`BTC/USDT`) at each index of `symbols`; with `settled`, a linear
    /// derivative's (`BTC/USDT:USDT`, a delivery contract `BTC/USDT:USDT-250328`), settled in its
    /// quote currency.
    public func unifiedSymbols(_ symbols: [String], _ key: String = "symbols", example: String, settled: Bool = false) throws(ConfigError) {
        try require(!symbols.isEmpty, key, "list at least one symbol")
        func word(_ s: Substring) -> Bool { !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
        for (i, s) in symbols.enumerated() {
            let halves = s.split(separator: ":", omittingEmptySubsequences: false)
            let parts = halves[0].split(separator: "/", omittingEmptySubsequences: false)
            var ok = parts.count == 2 && parts.allSatisfy(word) && halves.count == (settled ? 2 : 1)
            if ok && settled {
                let settle = halves[1].split(separator: "-", omittingEmptySubsequences: false)
                ok =
                    settle[0] == parts[1]
                    && (settle.count == 1 || settle.count == 2 && settle[1].count == 6 && settle[1].allSatisfy { $0.isASCII && $0.isNumber })
            }
            try require(ok, "\(key)[\(i)]", "'\(s)' is not a unified symbol like \(example)")
        }
    }

    /// The simulator's market step (10 ms to a minute).
    public func simulatorStep(_ milliseconds: Int, _ key: String = "simulatorStepMilliseconds") throws(ConfigError) {
        try require((10...60_000).contains(milliseconds), key, "must be between 10 and 60000")
    }
}
