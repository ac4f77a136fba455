import Foundation

/// A flag with everything evaluation needs parsed once: id and role sets, percentages, address
/// ranges, constraint values as sets, numbers, dates, versions and compiled patterns. Built when
/// a flag set is installed, so evaluating for a session only hashes and compares.
struct CompiledFlag: Sendable {
    let flag: FeatureFlag
    let strategies: [Strategy]

    init(_ f: FeatureFlag) {
        flag = f
        strategies = f.strategies.map { Strategy($0, feature: f.name) }
    }

    struct Strategy: Sendable {
        let base: FlagStrategy
        let kind: Kind
        let constraints: [Constraint]
        /// `userIds` of userWithId, `roles` of userWithRole.
        let members: Set<String>
        let ranges: [IPRange]
        let addresses: Set<String>
        /// percentage / rollout, 0…100 (nil: missing or not a number).
        let percentage: UInt32?
        let groupId: String
        let stickiness: String

        enum Kind: Sendable {
            case always, userWithId, userWithRole, rolloutUserId, rolloutSessionId, rolloutRandom, flexibleRollout, remoteAddress, unknown
        }

        init(_ s: FlagStrategy, feature: String) {
            base = s
            let p = s.parameters
            func list(_ key: String) -> [String] {
                (p[key] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            func percent(_ key: String) -> UInt32? { Double(p[key] ?? "").map { UInt32(max(0, min(100, $0.rounded(.down)))) } }
            switch s.name {
            case "default": kind = .always
            case "userWithId": kind = .userWithId
            case "userWithRole": kind = .userWithRole
            case "gradualRolloutUserId": kind = .rolloutUserId
            case "gradualRolloutSessionId": kind = .rolloutSessionId
            case "gradualRolloutRandom": kind = .rolloutRandom
            case "flexibleRollout": kind = .flexibleRollout
            case "remoteAddress": kind = .remoteAddress
            default: kind = .unknown
            }
            members = Set(list(kind == .userWithRole ? "roles" : "userIds"))
            let ips = kind == .remoteAddress ? list("IPs") : []
            addresses = Set(ips)
            ranges = ips.compactMap(IPRange.init)
            percentage = percent(kind == .flexibleRollout ? "rollout" : "percentage")
            // gradualRollout* hash with the groupId as given (empty when absent); flexibleRollout
            // falls back to the flag's name.
            let given = p["groupId"].flatMap { $0.isEmpty ? nil : $0 }
            groupId = kind == .flexibleRollout ? given ?? feature : p["groupId"] ?? ""
            stickiness = p["stickiness"] ?? "default"
            constraints = s.constraints.map(Constraint.init)
        }
    }

    struct Constraint: Sendable {
        let base: FlagConstraint
        let op: Op
        let values: Set<String>
        let lowered: [String]
        let number: Double?
        let date: Date?
        let version: SemanticVersion?
        let regex: NSRegularExpression?
        let ranges: [IPRange]

        enum Op: Sendable {
            case `in`, notIn, contains, startsWith, endsWith, numEq, numGt, numGte, numLt, numLte, dateAfter, dateBefore
            case semverEq, semverGt, semverGte, semverLt, semverLte, regex, inCIDR, unknown
        }

        init(_ c: FlagConstraint) {
            base = c
            let ops: [String: Op] = [
                "IN": .in, "NOT_IN": .notIn, "STR_CONTAINS": .contains, "STR_STARTS_WITH": .startsWith, "STR_ENDS_WITH": .endsWith,
                "NUM_EQ": .numEq, "NUM_GT": .numGt, "NUM_GTE": .numGte, "NUM_LT": .numLt, "NUM_LTE": .numLte, "DATE_AFTER": .dateAfter,
                "DATE_BEFORE": .dateBefore, "SEMVER_EQ": .semverEq, "SEMVER_GT": .semverGt, "SEMVER_GTE": .semverGte, "SEMVER_LT": .semverLt,
                "SEMVER_LTE": .semverLte, "REGEX": .regex, "IN_CIDR": .inCIDR,
            ]
            op = ops[c.operator] ?? .unknown
            values = Set(c.values)
            lowered = c.values.map { c.caseInsensitive ? $0.lowercased() : $0 }
            number = c.value.flatMap(FlagEvaluator.number)
            date = c.value.flatMap(FlagEvaluator.date)
            version = c.value.flatMap(SemanticVersion.init)
            regex = op == .regex ? c.value.flatMap { Self.compile($0, caseInsensitive: c.caseInsensitive) } : nil
            ranges = op == .inCIDR ? c.values.compactMap(IPRange.init) : []
        }

        /// nil for a pattern that is invalid or needs what RE2 (Unleash's reference) lacks —
        /// lookaround and backreferences — so results match other clients.
        static func compile(_ pattern: String, caseInsensitive: Bool) -> NSRegularExpression? {
            let unsupported =
                ["(?=", "(?!", "(?<=", "(?<!", "\\k<"].contains(where: pattern.contains)
                || pattern.range(of: #"\\[1-9]"#, options: .regularExpression) != nil
            guard !unsupported else { return nil }
            return try? NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
        }
    }
}
