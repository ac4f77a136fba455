import HubCore

/// One decoded Kalshi trade API v2 WebSocket message.
public enum KalshiMessage: Equatable, Sendable {
    case subscribed(id: Int64?, channel: String, sid: Int64)
    case ok(id: Int64?)
    case error(id: Int64?, code: Int64, message: String)
    /// A market's YES and NO bids (price in dollars, quantity in contracts).
    case snapshot(sid: Int64, seq: Int64, market: String, yes: [PriceLevel], no: [PriceLevel])
    /// `delta` contracts at `price` on `yes`/no (negative removes).
    case delta(sid: Int64, seq: Int64, market: String, price: Double, delta: Double, yes: Bool)
    /// `withdrawn`: quote sides the message names empty (`yesBid`, `yesAsk`) — withdrawn, not
    /// left at their last value.
    case ticker(
        market: String, price: Double?, yesBid: Double?, yesAsk: Double?, volume: Double?, openInterest: Double?, time: Int64,
        withdrawn: [KalshiField] = [])
    case trade(sid: Int64, seq: Int64?, id: String, market: String, yesPrice: Double, count: Double, takerYes: Bool, time: Int64)
    case ignored
}
