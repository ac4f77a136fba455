/// What an upgrade filter sees of a WebSocket handshake.
public struct UpgradeRequest: Sendable {
    /// The headers named in `LoopConfiguration.captureHeaders` that are present (lower-case names).
    public let headers: [String: String]
    /// The `Authorization` header, whole, when present.
    public let authorization: String?
    /// The client's address (no port).
    public let remoteAddress: String
}

/// An upgrade filter's answer: go on, or refuse with an HTTP status (and a short text body).
public enum UpgradeDecision: Sendable, Equatable {
    case accept
    case refuse(status: Int, message: String)
}
