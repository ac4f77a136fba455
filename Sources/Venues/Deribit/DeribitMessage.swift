import HubCore

/// One decoded Deribit JSON-RPC frame.
public enum DeribitMessage: Sendable {
    /// A ticker, option ticker or trade, ready for transformation.
    case event(RawEvent)
    /// A `book.*` notification: the session applies it to its book and checks the change_id chain.
    case book(DeribitBookUpdate)
    /// A response to one of our requests.
    case result(id: Int64, DeribitResult)
    case error(id: Int64?, code: Int64, message: String)
    /// `heartbeat` notification; `testRequest` ones must be answered with `public/test`.
    case heartbeat(testRequest: Bool)
    /// A well-formed frame we do not use (another method or channel).
    case ignored
}

public enum DeribitResult: Equatable, Sendable {
    /// `public/subscribe` / `public/unsubscribe`: the channels now (un)subscribed.
    case channels([String])
    /// `public/get_instruments`.
    case instruments([DeribitInstrumentInfo])
    /// `public/auth`.
    case auth(expiresIn: Int64)
    /// A plain string result (`"ok"` for set_heartbeat) or `{"version":…}` of public/test.
    case text(String)
    case other
}

public struct DeribitInstrumentInfo: Equatable, Sendable {
    public let name: String
    public let kind: String
    public let isActive: Bool
    public let expirationTimestamp: Int64
    public let strike: Double?
    public let optionType: String?
}

/// A `book.{instrument}.{interval}` payload.
public struct DeribitBookUpdate: Sendable, Equatable {
    public enum Action: Sendable, Equatable { case new, change, delete }
    public struct Level: Sendable, Equatable {
        public let action: Action
        public let price: Double
        public let amount: Double
        public init(action: Action, price: Double, amount: Double) {
            self.action = action
            self.price = price
            self.amount = amount
        }
    }

    public let instrument: String
    public let timestamp: Int64
    public let isSnapshot: Bool
    public let changeID: Int64
    public let prevChangeID: Int64?
    public let bids: [Level]
    public let asks: [Level]
    public let receiveTime: Int64
}
