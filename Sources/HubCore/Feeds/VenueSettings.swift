/// One venue's configuration section (`feeds.<id>`): decoded strictly (unknown keys are errors
/// naming their path), every key optional with the defaults of `init()`.
public protocol VenueSettings: Decodable, Equatable, Sendable {
    /// The defaults: disabled, the venue's public endpoint.
    init()
    var enabled: Bool { get set }
    /// Run the venue's simulator in-process on loopback and connect to it instead of `url`
    /// (the executable starts it; the hub itself only ever connects to `url`).
    var simulate: Bool { get set }
    /// The venue's WebSocket endpoint.
    var url: String { get set }
    /// Ranges and relations the types cannot express (called for enabled sections); `check`
    /// names keys under the section (`feeds.binance.symbols[0]`).
    func validate(_ check: ConfigCheck) throws(ConfigError)
}

extension VenueSettings {
    /// Equality across existentials (sections of different venues are never equal).
    func isEqual(to other: any VenueSettings) -> Bool {
        guard let other = other as? Self else { return false }
        return self == other
    }
}
