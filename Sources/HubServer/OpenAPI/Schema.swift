import HubAuth

/// A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) built in code, for the route
/// descriptions. Optional object properties are simply not `required`: the hub leaves absent
/// values out of its answers rather than writing `null`.
struct Schema: Sendable {
    var json: [String: JSONValue]

    init(_ json: [String: JSONValue]) { self.json = json }

    static let string = Schema(["type": "string"])
    static let integer = Schema(["type": "integer"])
    static let number = Schema(["type": "number"])
    static let boolean = Schema(["type": "boolean"])
    static let dateTime = Schema(["type": "string", "format": "date-time"])
    /// Any JSON value.
    static let any = Schema([:])
    /// A JSON object of any shape.
    static let anyObject = Schema(["type": "object"])

    static func string(pattern: String? = nil, minLength: Int? = nil, maxLength: Int? = nil) -> Schema {
        var s = Schema.string
        if let pattern { s.json["pattern"] = .string(pattern) }
        if let minLength { s.json["minLength"] = .number(Double(minLength)) }
        if let maxLength { s.json["maxLength"] = .number(Double(maxLength)) }
        return s
    }

    static func integer(_ range: ClosedRange<Int>) -> Schema {
        Schema(["type": "integer", "minimum": .number(Double(range.lowerBound)), "maximum": .number(Double(range.upperBound))])
    }

    static func number(minimum: Double? = nil, maximum: Double? = nil) -> Schema {
        var s = Schema.number
        if let minimum { s.json["minimum"] = .number(minimum) }
        if let maximum { s.json["maximum"] = .number(maximum) }
        return s
    }

    static func oneOf(_ values: [String]) -> Schema { Schema(["type": "string", "enum": .array(values.map(JSONValue.string))]) }

    static func array(_ items: Schema, maxItems: Int? = nil) -> Schema {
        var s = Schema(["type": "array", "items": .object(items.json)])
        if let maxItems { s.json["maxItems"] = .number(Double(maxItems)) }
        return s
    }

    /// A map from names to values of one schema.
    static func map(_ values: Schema) -> Schema { Schema(["type": "object", "additionalProperties": .object(values.json)]) }

    /// An object; `closed` when the hub refuses keys it does not know (request bodies).
    /// Properties not `required` may also be `null`: the hub reads `null` as absent.
    static func object(_ properties: [String: Schema], required: [String] = [], closed: Bool = false) -> Schema {
        let fields = properties.map { name, schema in (name, required.contains(name) ? schema.json : schema.orNull.json) }
        var s = Schema(["type": "object", "properties": .object(Dictionary(uniqueKeysWithValues: fields).mapValues(JSONValue.object))])
        if !required.isEmpty { s.json["required"] = .array(required.sorted().map(JSONValue.string)) }
        if closed { s.json["additionalProperties"] = .bool(false) }
        return s
    }

    /// A schema of `components.schemas`.
    static func ref(_ name: String) -> Schema { Schema(["$ref": .string("#/components/schemas/\(name)")]) }

    /// This schema or `null`.
    var orNull: Schema {
        switch json["type"] {
        case .string(let type)?:
            var s = self
            s.json["type"] = .array([.string(type), "null"])
            if case .array(let values)? = json["enum"] { s.json["enum"] = .array(values + [.null]) }
            return s
        case .array(let types)?:
            var s = self
            if !types.contains("null") { s.json["type"] = .array(types + ["null"]) }
            return s
        default:
            return json.isEmpty ? self : Schema(["anyOf": .array([.object(json), .object(["type": "null"])])])
        }
    }

    func described(_ text: String) -> Schema {
        var s = self
        s.json["description"] = .string(text)
        return s
    }
}
