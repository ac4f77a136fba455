/// A property definition that cannot be accepted, naming the field (dotted path) and why.
public struct DefinitionError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The definition itself is wrong (400).
        case invalid
        /// A property with that name exists (409).
        case duplicate
        /// No property with that name (404).
        case unknown
    }

    public let kind: Kind
    public let field: String
    public let message: String
    /// The file it came from, for definitions read from disk.
    public var file: String?

    public init(_ kind: Kind = .invalid, field: String, _ message: String, file: String? = nil) {
        self.kind = kind
        self.field = field
        self.message = message
        self.file = file
    }

    public var description: String {
        "\(file.map { "\($0): " } ?? "")\(field.isEmpty ? "" : "\(field): ")\(message)"
    }
}
