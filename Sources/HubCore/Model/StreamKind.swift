/// The first segment of a channel name: what kind of data a channel carries.
///
/// State streams carry the latest value (a slow subscriber may skip to the newest publication);
/// event streams carry every item (a subscriber that falls behind is disconnected and recovers
/// through history).
public enum StreamKind: String, CaseIterable, Sendable {
    case ticker, book, trades, options, odds, outcomes, arb, sources, alerts
    /// Messages published through the API (`POST /api/publish`, the `publish` op).
    case announcements

    public enum Delivery: Sendable { case state, event }

    public var delivery: Delivery {
        switch self {
        case .trades, .arb, .alerts, .announcements: return .event
        case .ticker, .book, .options, .odds, .outcomes, .sources: return .state
        }
    }
}
