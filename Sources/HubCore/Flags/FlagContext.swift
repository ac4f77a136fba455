import Foundation

/// Who a flag is evaluated for (Unleash's context, plus the session's roles).
public struct FlagContext: Sendable, Equatable {
    public var userId: String?
    public var sessionId: String?
    public var remoteAddress: String?
    public var environment: String?
    public var appName: String?
    /// Evaluation time (DATE_* constraints); nil: now.
    public var currentTime: Date?
    /// The roles of the session (`userWithRole`, and the `roles` field in constraints).
    public var roles: [String]
    /// Further fields (token claims, custom stickiness).
    public var properties: [String: String]

    public init(
        userId: String? = nil, sessionId: String? = nil, remoteAddress: String? = nil, environment: String? = nil, appName: String? = nil,
        currentTime: Date? = nil, roles: [String] = [], properties: [String: String] = [:]
    ) {
        self.userId = userId
        self.sessionId = sessionId
        self.remoteAddress = remoteAddress
        self.environment = environment
        self.appName = appName
        self.currentTime = currentTime
        self.roles = roles
        self.properties = properties
    }

    /// A context field by name (standard fields first, then properties). `roles` reads as a
    /// comma-separated list; constraints on `roles` test each role.
    public func value(_ name: String) -> String? {
        switch name {
        case "userId": return userId
        case "sessionId": return sessionId
        case "remoteAddress": return remoteAddress
        case "environment": return environment
        case "appName": return appName
        case "currentTime": return currentTime.map { ISO8601DateFormatter().string(from: $0) }
        case "roles": return roles.isEmpty ? nil : roles.joined(separator: ",")
        default: return properties[name]
        }
    }
}
