extension PropertyDefinition {
    /// Checks the definition on its own and against the properties it may refer to (`known`:
    /// names of registered properties, for lineage).
    public func check(known: Set<String>) throws(DefinitionError) {
        func fail(_ field: String, _ message: String) -> DefinitionError { DefinitionError(field: field, message) }
        guard Self.isValidName(name) else {
            throw fail("name", "must start with a letter and have 1–64 letters, digits or _ (not export, import, matrix or quarantine)")
        }
        guard description.utf8.count <= 1024 else { throw fail("description", "longer than 1024 bytes") }
        if let unit, unit.utf8.count > 128 { throw fail("unit", "longer than 128 bytes") }
        for (i, s) in sources.enumerated() where !Self.isValidSource(s) {
            throw fail("sources[\(i)]", "'\(s)' is not a source name ([a-z0-9_-]{1,32})")
        }
        if let flag, !Self.isValidSource(flag) { throw fail("flag", "'\(flag)' is not a flag name ([a-z0-9_-]{1,32})") }
        let r = rules
        if r.min != nil || r.max != nil {
            guard [.decimal, .integer, .timestamp].contains(type) else { throw fail("rules.min", "bounds apply to decimal, integer and timestamp properties") }
            if let lo = r.min, !lo.isFinite { throw fail("rules.min", "must be a finite number") }
            if let hi = r.max, !hi.isFinite { throw fail("rules.max", "must be a finite number") }
            if let lo = r.min, let hi = r.max, lo > hi { throw fail("rules.max", "must not be below rules.min") }
        }
        if type == .enum {
            guard let values = r.values, !values.isEmpty else { throw fail("rules.values", "an enum property lists its values") }
            guard Set(values).count == values.count else { throw fail("rules.values", "values repeat") }
        } else if r.values != nil {
            throw fail("rules.values", "values apply to enum properties")
        }
        if let p = r.pattern {
            guard type == .string else { throw fail("rules.pattern", "patterns apply to string properties") }
            do {
                _ = try Regex(p)
            } catch {
                throw fail("rules.pattern", "not a valid regular expression: \(error)")
            }
        }
        if let n = r.maxLength {
            guard type == .string else { throw fail("rules.maxLength", "maxLength applies to string properties") }
            guard n > 0 else { throw fail("rules.maxLength", "must be positive") }
        }
        if let inputs = derivedFrom {
            guard !inputs.isEmpty else { throw fail("derivedFrom", "lists at least one input (or omit it)") }
            for (i, input) in inputs.enumerated() {
                if input == name { throw fail("derivedFrom[\(i)]", "a property cannot derive from itself") }
                if !known.contains(input) { throw fail("derivedFrom[\(i)]", "unknown property '\(input)'") }
            }
            guard let v = formulaVersion, v >= 1 else { throw fail("formulaVersion", "a derived property has a formula version ≥ 1") }
            guard let f = formula, !f.isEmpty else { throw fail("formula", "a derived property states its formula") }
        } else if formula != nil || formulaVersion != nil {
            throw fail("derivedFrom", "formula and formulaVersion belong to derived properties")
        }
    }

    /// Names the routes beside `/api/properties/:name` take.
    static let reservedNames: Set<String> = ["export", "import", "matrix", "quarantine"]

    static func isValidName(_ s: String) -> Bool {
        guard !reservedNames.contains(s) else { return false }
        let u = Array(s.utf8)
        guard (1...64).contains(u.count), let first = u.first, isLetter(first) else { return false }
        return u.allSatisfy { isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "_") }
    }

    public static func isValidSource(_ s: String) -> Bool {
        let u = Array(s.utf8)
        return (1...32).contains(u.count)
            && u.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func isLetter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
}
