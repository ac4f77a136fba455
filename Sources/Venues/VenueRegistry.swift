import HubCore

/// Every venue StreamHub speaks. The hub, `streamhub replay`/`record`, `venue-sim` and the
/// configuration loader iterate this list; adding a venue is its folder plus one line here
/// (docs/guides/adding-a-data-source.md).
public enum VenueRegistry {
    public static let all: [any SimulatedVenue] = [
        DeribitVenue(),
        BinanceVenue(),
        BinanceFuturesVenue(),
        CoinbaseVenue(),
        PolymarketVenue(),
        KalshiVenue(),
        OrcaVenue(),
    ]

    /// The venue with id `id`.
    public static func venue(_ id: String) -> (any SimulatedVenue)? { all.first { $0.id == id } }

    /// The venue ids, for help texts and errors.
    public static var ids: [String] { all.map(\.id) }
}
