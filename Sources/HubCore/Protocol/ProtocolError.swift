/// Errors answered to a client request: `{"id":N,"error":{"code":C,"message":"…"}}`.
/// Codes are stable and documented in docs/protocol.md.
public struct ProtocolError: Error, Equatable, Sendable {
    public let code: Int
    public let message: String
    /// The request's id when it could be read.
    public var id: Int64?

    public init(_ code: Code, _ message: String, id: Int64? = nil) {
        self.code = code.rawValue
        self.message = message
        self.id = id
    }

    public enum Code: Int, Sendable {
        case badRequest = 1000
        case unknownOp = 1001
        case invalidChannel = 1002
        case alreadySubscribed = 1003
        case notSubscribed = 1004
        case tooManySubscriptions = 1005
        case unknownProperty = 1006
        case unsupported = 1007
        case unauthorized = 1010
        case forbidden = 1011
        /// Publishing faster than `publish.ratePerSecond` allows.
        case rateLimited = 1012
        /// Cluster: `publish` to a channel another node produces (its feed's, or the coordinator's).
        case notOwner = 1013
        case `internal` = 1500
    }
}

/// Why the server closes a connection: WebSocket close codes in the 4000 range (1001 on shutdown).
public struct CloseReason: Equatable, Sendable {
    public let code: UInt16
    public let message: String

    public static let goingAway = CloseReason(code: 1001, message: "server shutting down")
    public static let badRequest = CloseReason(code: 4000, message: "too many bad requests")
    /// More requests arrived while the token was being checked than a session may queue.
    public static let tooManyWaiting = CloseReason(code: 4000, message: "too many requests before authentication completed")
    public static let unauthorized = CloseReason(code: 4001, message: "unauthorized")
    public static let forbidden = CloseReason(code: 4003, message: "forbidden")
    public static let tokenExpired = CloseReason(code: 4004, message: "token expired")
    /// An anonymous connection that held no subscription for `auth.anonymousIdleSeconds`.
    public static let idle = CloseReason(code: 4002, message: "idle: no subscription")
    public static let accountDisabled = CloseReason(code: 4003, message: "account disabled")
    public static let slowConsumer = CloseReason(code: 4008, message: "slow consumer")
    public static let messageTooBig = CloseReason(code: 4009, message: "message too big")
    public static let binaryFrame = CloseReason(code: 4010, message: "binary frames are not accepted")
}
