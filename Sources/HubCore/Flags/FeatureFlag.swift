import Foundation

/// A feature flag in Unleash's client-features format (`GET /api/client/features`), so flag
/// sets can be exported to and imported from Unleash and the client specification applies.
public struct FeatureFlag: Codable, Equatable, Sendable {
    public var name: String
    public var description: String?
    public var enabled: Bool
    public var strategies: [FlagStrategy]
    /// Feature-level variants (used when the matching strategy has none).
    public var variants: [FlagVariant]
    /// Parent features this one depends on.
    public var dependencies: [FlagDependency]

    public init(
        name: String, description: String? = nil, enabled: Bool, strategies: [FlagStrategy] = [], variants: [FlagVariant] = [],
        dependencies: [FlagDependency] = []
    ) {
        self.name = name
        self.description = description
        self.enabled = enabled
        self.strategies = strategies
        self.variants = variants
        self.dependencies = dependencies
    }

    enum CodingKeys: String, CodingKey { case name, description, enabled, strategies, variants, dependencies }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? false
        strategies = try c.decodeIfPresent([FlagStrategy].self, forKey: .strategies) ?? []
        variants = try c.decodeIfPresent([FlagVariant].self, forKey: .variants) ?? []
        dependencies = try c.decodeIfPresent([FlagDependency].self, forKey: .dependencies) ?? []
    }
}

/// An activation strategy: its name, parameters (strings, as Unleash sends them), constraints,
/// segment ids and optional strategy variants.
public struct FlagStrategy: Codable, Equatable, Sendable {
    public var name: String
    public var parameters: [String: String]
    public var constraints: [FlagConstraint]
    public var segments: [Int]
    public var variants: [FlagVariant]

    public init(name: String, parameters: [String: String] = [:], constraints: [FlagConstraint] = [], segments: [Int] = [], variants: [FlagVariant] = []) {
        self.name = name
        self.parameters = parameters
        self.constraints = constraints
        self.segments = segments
        self.variants = variants
    }

    enum CodingKeys: String, CodingKey { case name, parameters, constraints, segments, variants }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        // Unleash writes parameters as strings, but numbers and booleans occur in the wild.
        parameters = (try c.decodeIfPresent([String: LooseString].self, forKey: .parameters) ?? [:]).mapValues(\.value)
        constraints = try c.decodeIfPresent([FlagConstraint].self, forKey: .constraints) ?? []
        segments = try c.decodeIfPresent([Int].self, forKey: .segments) ?? []
        variants = try c.decodeIfPresent([FlagVariant].self, forKey: .variants) ?? []
    }
}

/// `{contextName, operator, values | value, inverted, caseInsensitive}`.
public struct FlagConstraint: Codable, Equatable, Sendable {
    public var contextName: String
    /// Kept as text: an operator this version does not know makes the constraint false.
    public var `operator`: String
    public var values: [String]
    public var value: String?
    public var inverted: Bool
    public var caseInsensitive: Bool

    public init(contextName: String, operator op: String, values: [String] = [], value: String? = nil, inverted: Bool = false, caseInsensitive: Bool = false) {
        self.contextName = contextName
        self.operator = op
        self.values = values
        self.value = value
        self.inverted = inverted
        self.caseInsensitive = caseInsensitive
    }

    enum CodingKeys: String, CodingKey { case contextName, `operator`, values, value, inverted, caseInsensitive }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        contextName = try c.decode(String.self, forKey: .contextName)
        self.operator = try c.decode(String.self, forKey: .operator)
        values = (try c.decodeIfPresent([LooseString].self, forKey: .values) ?? []).map(\.value)
        value = try c.decodeIfPresent(LooseString.self, forKey: .value)?.value
        inverted = try c.decodeIfPresent(Bool.self, forKey: .inverted) ?? false
        caseInsensitive = try c.decodeIfPresent(Bool.self, forKey: .caseInsensitive) ?? false
    }
}

/// A named set of constraints strategies refer to by id.
public struct FlagSegment: Codable, Equatable, Sendable {
    public var id: Int
    public var name: String?
    public var constraints: [FlagConstraint]

    public init(id: Int, name: String? = nil, constraints: [FlagConstraint]) {
        self.id = id
        self.name = name
        self.constraints = constraints
    }
}

public struct FlagVariant: Codable, Equatable, Sendable {
    public var name: String
    public var weight: Int
    /// `default` (userId, then sessionId, then random), `random`, or a context field.
    public var stickiness: String?
    public var payload: Payload?
    public var overrides: [Override]

    public struct Payload: Codable, Equatable, Sendable {
        public var type: String
        public var value: String
        public init(type: String, value: String) {
            self.type = type
            self.value = value
        }
    }

    /// Context values that pick this variant whatever the weights.
    public struct Override: Codable, Equatable, Sendable {
        public var contextName: String
        public var values: [String]
        public init(contextName: String, values: [String]) {
            self.contextName = contextName
            self.values = values
        }
    }

    public init(name: String, weight: Int, stickiness: String? = nil, payload: Payload? = nil, overrides: [Override] = []) {
        self.name = name
        self.weight = weight
        self.stickiness = stickiness
        self.payload = payload
        self.overrides = overrides
    }

    enum CodingKeys: String, CodingKey { case name, weight, stickiness, payload, overrides }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        weight = try c.decodeIfPresent(Int.self, forKey: .weight) ?? 0
        stickiness = try c.decodeIfPresent(String.self, forKey: .stickiness)
        payload = try c.decodeIfPresent(Payload.self, forKey: .payload)
        overrides = try c.decodeIfPresent([Override].self, forKey: .overrides) ?? []
    }
}

/// `{feature, enabled?, variants?}`: the child is on only while the parent is on (or off, with
/// `enabled: false`) and, when listed, gives one of these variants.
public struct FlagDependency: Codable, Equatable, Sendable {
    public var feature: String
    public var enabled: Bool
    public var variants: [String]

    public init(feature: String, enabled: Bool = true, variants: [String] = []) {
        self.feature = feature
        self.enabled = enabled
        self.variants = variants
    }

    enum CodingKeys: String, CodingKey { case feature, enabled, variants }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        feature = try c.decode(String.self, forKey: .feature)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        variants = try c.decodeIfPresent([String].self, forKey: .variants) ?? []
    }
}

/// A string, or a number or boolean written where Unleash means its text.
struct LooseString: Decodable {
    let value: String
    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) {
            value = s
        } else if let i = try? c.decode(Int64.self) {
            value = String(i)
        } else if let d = try? c.decode(Double.self) {
            value = String(d)
        } else if let b = try? c.decode(Bool.self) {
            value = String(b)
        } else {
            throw DecodingError.typeMismatch(String.self, .init(codingPath: decoder.codingPath, debugDescription: "expected a string"))
        }
    }
}
