import SimdJSON

/// Turns stored `(property name, JSON value)` pairs back into typed fields, using the
/// registry's types (a restarted hub rebuilding channel state from Redis).
public final class StoredValueDecoder {
    private let registry: PropertyRegistry
    private let parser = JSONParser(maxDocumentBytes: 1 << 20)

    public init(registry: PropertyRegistry) {
        self.registry = registry
    }

    /// Registered, well-typed fields; anything else is skipped (and counted by the caller).
    public func fields(_ stored: [StoredField]) -> (fields: [Field], skipped: Int) {
        var out: [Field] = []
        var skipped = 0
        for f in stored {
            guard let id = registry.id(f.name), let def = registry.definition(id), let value = decode(f.json, as: def.type),
                registry.problem(id, value) == nil
            else {
                skipped += 1
                continue
            }
            out.append(Field(id, value))
        }
        return (out, skipped)
    }

    func decode(_ json: [UInt8], as type: PropertyType) -> PropertyValue? {
        try? parser.parse(json) { v -> PropertyValue? in
            switch type {
            case .decimal: return v.double.map { .number($0) }
            case .integer, .timestamp: return v.int64.map { .integer($0) } ?? v.double.map { .number($0) }
            case .string, .enum: return v.string.map { .string($0) }
            case .bool: return v.bool.map { .bool($0) }
            case .array:
                guard let levels = v.array else { return nil }
                var out: [PriceLevel] = []
                for l in levels {
                    guard var pair = l.array, let p = pair.next()?.double, let a = pair.next()?.double else { return nil }
                    out.append(PriceLevel(price: p, amount: a))
                }
                return .levels(out)
            }
        } ?? nil
    }
}
