/// Every flag and segment, as Unleash's client-features document
/// (`{"version":1,"features":[…],"segments":[…]}`) — the export/import format.
public struct FlagSet: Codable, Equatable, Sendable {
    public var version: Int
    public var features: [FeatureFlag]
    public var segments: [FlagSegment]

    public init(features: [FeatureFlag] = [], segments: [FlagSegment] = []) {
        version = 1
        self.features = features
        self.segments = segments
    }

    enum CodingKeys: String, CodingKey { case version, features, segments }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decodeIfPresent(Int.self, forKey: .version) ?? 1
        features = try c.decodeIfPresent([FeatureFlag].self, forKey: .features) ?? []
        segments = try c.decodeIfPresent([FlagSegment].self, forKey: .segments) ?? []
    }

    /// Applies one event of Unleash's delta API (hydration, feature/segment updated/removed).
    public mutating func apply(_ event: FlagDeltaEvent) {
        switch event {
        case .hydration(let features, let segments):
            self.features = features
            self.segments = segments
        case .featureUpdated(let f):
            if let i = features.firstIndex(where: { $0.name == f.name }) { features[i] = f } else { features.append(f) }
        case .featureRemoved(let name):
            features.removeAll { $0.name == name }
        case .segmentUpdated(let s):
            if let i = segments.firstIndex(where: { $0.id == s.id }) { segments[i] = s } else { segments.append(s) }
        case .segmentRemoved(let id):
            segments.removeAll { $0.id == id }
        }
    }
}

/// An event of Unleash's delta API (`/api/client/delta`).
public enum FlagDeltaEvent: Decodable, Equatable, Sendable {
    case hydration(features: [FeatureFlag], segments: [FlagSegment])
    case featureUpdated(FeatureFlag)
    case featureRemoved(String)
    case segmentUpdated(FlagSegment)
    case segmentRemoved(Int)

    enum CodingKeys: String, CodingKey { case type, features, segments, feature, featureName, segment, segmentId }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .type) {
        case "hydration":
            self = .hydration(
                features: try c.decodeIfPresent([FeatureFlag].self, forKey: .features) ?? [],
                segments: try c.decodeIfPresent([FlagSegment].self, forKey: .segments) ?? [])
        case "feature-updated": self = .featureUpdated(try c.decode(FeatureFlag.self, forKey: .feature))
        case "feature-removed": self = .featureRemoved(try c.decode(String.self, forKey: .featureName))
        case "segment-updated": self = .segmentUpdated(try c.decode(FlagSegment.self, forKey: .segment))
        case "segment-removed": self = .segmentRemoved(try c.decode(Int.self, forKey: .segmentId))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown delta event type '\(other)'")
        }
    }
}
