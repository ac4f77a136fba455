/// What a property is: the registry's unit of truth (config/properties/*.yaml seeds it, the store
/// keeps it, REST edits it). See docs/guides/properties.md.
public struct PropertyDefinition: Equatable, Sendable {
    public var name: String
    public var type: PropertyType
    public var unit: String?
    public var description: String
    public var tier: PropertyTier
    /// Sources (venues) that provide it; empty for derived properties.
    public var sources: [String]
    public var rules: ValidationRules
    /// The feature flag a session needs to see it.
    public var flag: String?
    /// Lineage of derived properties: the inputs, the formula and its version.
    public var derivedFrom: [String]?
    public var formula: String?
    public var formulaVersion: Int?

    public init(
        name: String, type: PropertyType, unit: String? = nil, description: String, tier: PropertyTier,
        sources: [String] = [], rules: ValidationRules = ValidationRules(), flag: String? = nil,
        derivedFrom: [String]? = nil, formula: String? = nil, formulaVersion: Int? = nil
    ) {
        self.name = name
        self.type = type
        self.unit = unit
        self.description = description
        self.tier = tier
        self.sources = sources
        self.rules = rules
        self.flag = flag
        self.derivedFrom = derivedFrom
        self.formula = formula
        self.formulaVersion = formulaVersion
    }

    public var isDerived: Bool { !(derivedFrom ?? []).isEmpty }
}

public enum PropertyType: String, Codable, CaseIterable, Sendable {
    case decimal, integer, string, bool, timestamp, `enum`, array
}

public enum PropertyTier: String, Codable, CaseIterable, Sendable {
    case `public`, premium, `internal`
}

/// Per-property checks applied to every value in transformation.
public struct ValidationRules: Equatable, Sendable {
    /// Inclusive bounds for numbers and timestamps.
    public var min: Double?
    public var max: Double?
    /// Allowed values of an enum property.
    public var values: [String]?
    /// A regular expression the whole string must match.
    public var pattern: String?
    public var maxLength: Int?
    /// Stream kinds whose ticks must carry this property (a tick without it is quarantined).
    public var requiredIn: [StreamKind]?

    public init(min: Double? = nil, max: Double? = nil, values: [String]? = nil, pattern: String? = nil, maxLength: Int? = nil, requiredIn: [StreamKind]? = nil)
    {
        self.min = min
        self.max = max
        self.values = values
        self.pattern = pattern
        self.maxLength = maxLength
        self.requiredIn = requiredIn
    }

    public var isEmpty: Bool { self == ValidationRules() }
}

extension StreamKind: Codable {}

// MARK: Codable (strict: unknown keys name their path)

extension PropertyDefinition: Codable {
    enum Keys: String, CodingKey, CaseIterable {
        case name, type, unit, description, tier, sources, rules, flag, derivedFrom, formula, formulaVersion
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        name = try c.decode(String.self, forKey: .name)
        type = try c.decode(PropertyType.self, forKey: .type)
        unit = try c.decodeIfPresent(String.self, forKey: .unit)
        description = try c.decode(String.self, forKey: .description)
        tier = try c.decode(PropertyTier.self, forKey: .tier)
        sources = try c.value(.sources, [])
        rules = try c.value(.rules, ValidationRules())
        flag = try c.decodeIfPresent(String.self, forKey: .flag)
        derivedFrom = try c.decodeIfPresent([String].self, forKey: .derivedFrom)
        formula = try c.decodeIfPresent(String.self, forKey: .formula)
        formulaVersion = try c.decodeIfPresent(Int.self, forKey: .formulaVersion)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(name, forKey: .name)
        try c.encode(type, forKey: .type)
        try c.encodeIfPresent(unit, forKey: .unit)
        try c.encode(description, forKey: .description)
        try c.encode(tier, forKey: .tier)
        try c.encode(sources, forKey: .sources)
        try c.encode(rules, forKey: .rules)
        try c.encodeIfPresent(flag, forKey: .flag)
        try c.encodeIfPresent(derivedFrom, forKey: .derivedFrom)
        try c.encodeIfPresent(formula, forKey: .formula)
        try c.encodeIfPresent(formulaVersion, forKey: .formulaVersion)
    }
}

extension ValidationRules: Codable {
    enum Keys: String, CodingKey, CaseIterable { case min, max, values, pattern, maxLength, requiredIn }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        min = try c.decodeIfPresent(Double.self, forKey: .min)
        max = try c.decodeIfPresent(Double.self, forKey: .max)
        values = try c.decodeIfPresent([String].self, forKey: .values)
        pattern = try c.decodeIfPresent(String.self, forKey: .pattern)
        maxLength = try c.decodeIfPresent(Int.self, forKey: .maxLength)
        requiredIn = try c.decodeIfPresent([StreamKind].self, forKey: .requiredIn)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encodeIfPresent(min, forKey: .min)
        try c.encodeIfPresent(max, forKey: .max)
        try c.encodeIfPresent(values, forKey: .values)
        try c.encodeIfPresent(pattern, forKey: .pattern)
        try c.encodeIfPresent(maxLength, forKey: .maxLength)
        try c.encodeIfPresent(requiredIn, forKey: .requiredIn)
    }
}
