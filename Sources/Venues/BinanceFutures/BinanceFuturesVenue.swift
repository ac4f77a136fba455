import HubCore

/// Binance USDⓈ-M futures: the Binance adapter, codec, depth procedure and simulator on the
/// futures market (`BinanceMarket.usdm`). Perpetuals appear as `BTC/USDT:USDT`; their tickers
/// carry the mark price, index and funding besides the best bid and ask.
public typealias BinanceFuturesVenue = BinanceVenueOf<BinanceUSDM>

/// `feeds.binance-futures`.
public typealias BinanceFuturesSettings = BinanceSettingsOf<BinanceUSDM>

extension VenueSections {
    /// `feeds.binance-futures`.
    public var binanceFutures: BinanceFuturesSettings {
        get { self[BinanceFuturesVenue()] }
        set { self[BinanceFuturesVenue()] = newValue }
    }
}
