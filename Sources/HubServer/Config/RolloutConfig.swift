extension HubConfig {
    /// The switches of a phased rollout (docs/guides/rollout.md): until a phase is enforced,
    /// what it would refuse is let through, counted and logged.
    public struct Rollout: Sendable, Equatable {
        public enum Mode: String, Sendable, Equatable, Decodable {
            case enforce
            case auditOnly = "audit-only"
        }

        /// Roles on channels, properties and read scopes (write scopes are always enforced).
        public var enforceRBAC = Mode.enforce
        /// Sources whose values that break their property's rules are quarantined (`*`: all);
        /// the others' are published, counted and logged.
        public var enforceValidation = ["*"]
        public init() {}

        public func enforcesValidation(of source: String) -> Bool { enforceValidation.contains("*") || enforceValidation.contains(source) }
    }
}

extension HubConfig.Rollout: Decodable {
    enum Keys: String, CodingKey, CaseIterable { case enforceRBAC, enforceValidation }
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        self.init()
        enforceRBAC = try c.value(.enforceRBAC, enforceRBAC)
        enforceValidation = try c.value(.enforceValidation, enforceValidation)
    }
}
