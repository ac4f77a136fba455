/// An error whose text is written for the client (it names the field at fault and says what
/// is wrong with it, never how the hub is built). Anything else reaching a client boundary is
/// answered as `internal`, with the details in the log only.
public protocol ClientFacingError: Error, CustomStringConvertible {
    /// The field at fault (a key path such as `grants.channels[0]`), or empty.
    var field: String { get }
    /// What is wrong, for the client.
    var message: String { get }
}

extension DefinitionError: ClientFacingError {}
extension MappingError: ClientFacingError {}
extension ConfigError: ClientFacingError {
    public var field: String { key }
}
