/// A configuration problem, naming the key (dotted path) and what is wrong with it.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    public let key: String
    public let message: String
    public var file: String?

    public init(key: String, _ message: String, file: String? = nil) {
        self.key = key
        self.message = message
        self.file = file
    }

    public var description: String {
        let at = key.isEmpty ? "" : "\(key): "
        return "\(file.map { "\($0): " } ?? "")\(at)\(message)"
    }
}
