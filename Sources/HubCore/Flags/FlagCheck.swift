import Foundation

/// Checks a flag definition before it is stored (REST, seeds, imports): the error names the
/// field. Evaluation tolerates anything (an unknown operator is false), but the hub does not
/// store a definition that could never mean what its writer intended.
public enum FlagCheck {
    public static let strategies: Set<String> = [
        "default", "userWithId", "userWithRole", "gradualRolloutUserId", "gradualRolloutSessionId", "gradualRolloutRandom",
        "flexibleRollout", "remoteAddress",
    ]
    public static let operators: Set<String> = [
        "IN", "NOT_IN", "STR_CONTAINS", "STR_STARTS_WITH", "STR_ENDS_WITH", "NUM_EQ", "NUM_GT", "NUM_GTE", "NUM_LT", "NUM_LTE",
        "DATE_AFTER", "DATE_BEFORE", "SEMVER_EQ", "SEMVER_GT", "SEMVER_GTE", "SEMVER_LT", "SEMVER_LTE", "REGEX", "IN_CIDR",
    ]

    /// Names: 1 to 100 characters, no `/`, no control characters (Unicode is fine); not `export`
    /// or `import`, which are routes beside `/api/features/:id`.
    public static func isValidName(_ s: String) -> Bool {
        (1...100).contains(s.unicodeScalars.count) && !s.contains("/") && !s.unicodeScalars.contains { $0.properties.generalCategory == .control }
            && s.trimmingCharacters(in: .whitespaces) == s && !["export", "import"].contains(s)
    }

    public static func check(_ f: FeatureFlag) throws(DefinitionError) {
        guard isValidName(f.name) else {
            throw DefinitionError(field: "name", "'\(f.name.prefix(100))' is not a flag name (1-100 characters, no '/', not export or import)")
        }
        // `/api/features/export` and `/import` are routes, not flags.
        guard !["export", "import"].contains(f.name) else { throw DefinitionError(field: "name", "'\(f.name)' is reserved") }
        for (i, s) in f.strategies.enumerated() {
            let at = "strategies[\(i)]"
            guard strategies.contains(s.name) else {
                throw DefinitionError(field: "\(at).name", "unknown strategy '\(s.name)' (known: \(strategies.sorted().joined(separator: ", ")))")
            }
            for key in ["percentage", "rollout"] {
                if let v = s.parameters[key], !(Double(v).map { (0...100).contains($0) } ?? false) {
                    throw DefinitionError(field: "\(at).parameters.\(key)", "must be a number from 0 to 100, not '\(v)'")
                }
            }
            if s.name == "flexibleRollout" && s.parameters["rollout"] == nil {
                throw DefinitionError(field: "\(at).parameters.rollout", "is required")
            }
            if s.name == "remoteAddress" {
                for ip in (s.parameters["IPs"] ?? "").split(separator: ",") where IPRange(String(ip)) == nil {
                    throw DefinitionError(field: "\(at).parameters.IPs", "'\(ip.trimmingCharacters(in: .whitespaces))' is not an address or CIDR block")
                }
            }
            for (j, c) in s.constraints.enumerated() { try check(c, at: "\(at).constraints[\(j)]") }
            try check(s.variants, at: "\(at).variants")
        }
        try check(f.variants, at: "variants")
        for (i, d) in f.dependencies.enumerated() where d.feature == f.name || d.feature.isEmpty {
            throw DefinitionError(field: "dependencies[\(i)].feature", "a flag cannot depend on itself or on nothing")
        }
    }

    public static func check(_ segment: FlagSegment) throws(DefinitionError) {
        for (j, c) in segment.constraints.enumerated() { try check(c, at: "constraints[\(j)]") }
    }

    static func check(_ c: FlagConstraint, at: String) throws(DefinitionError) {
        guard !c.contextName.isEmpty else { throw DefinitionError(field: "\(at).contextName", "is required") }
        guard operators.contains(c.operator) else {
            throw DefinitionError(field: "\(at).operator", "unknown operator '\(c.operator)'")
        }
        func value(_ parse: (String) -> Bool, _ what: String) throws(DefinitionError) {
            guard let v = c.value, parse(v) else { throw DefinitionError(field: "\(at).value", "must be \(what)") }
        }
        switch c.operator {
        case "NUM_EQ", "NUM_GT", "NUM_GTE", "NUM_LT", "NUM_LTE": try value({ FlagEvaluator.number($0) != nil }, "a number")
        case "DATE_AFTER", "DATE_BEFORE": try value({ FlagEvaluator.date($0) != nil }, "an ISO 8601 date-time")
        case "SEMVER_EQ", "SEMVER_GT", "SEMVER_GTE", "SEMVER_LT", "SEMVER_LTE": try value({ SemanticVersion($0) != nil }, "a semantic version")
        case "REGEX":
            try value(
                { CompiledFlag.Constraint.compile($0, caseInsensitive: false) != nil }, "a regular expression (RE2 syntax: no lookaround or backreferences)")
        case "IN_CIDR":
            for (k, v) in c.values.enumerated() where IPRange(v) == nil {
                throw DefinitionError(field: "\(at).values[\(k)]", "'\(v)' is not an address or CIDR block")
            }
        default: break
        }
    }

    static func check(_ variants: [FlagVariant], at: String) throws(DefinitionError) {
        var names: Set<String> = []
        for (i, v) in variants.enumerated() {
            guard !v.name.isEmpty, names.insert(v.name).inserted else { throw DefinitionError(field: "\(at)[\(i)].name", "names must be unique and non-empty") }
            guard (0...1_000_000).contains(v.weight) else { throw DefinitionError(field: "\(at)[\(i)].weight", "must be from 0 to 1000000") }
        }
    }
}
