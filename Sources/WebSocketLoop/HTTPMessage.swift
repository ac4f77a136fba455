/// An HTTP request as the handler sees it (body complete).
public struct HTTPRequest: Sendable {
    public var method: String
    /// Path without the query string, percent-decoding left to the router.
    public var path: String
    /// The query arguments joined with `&` (each already URL-decoded by libwebsockets).
    public var query: String
    public var headers: [String: String]
    public var body: [UInt8]
    public var remoteAddress: String

    public init(method: String, path: String, query: String = "", headers: [String: String] = [:], body: [UInt8] = [], remoteAddress: String = "") {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// The query arguments as libwebsockets decoded them (`%20` and `+` already spaces);
    /// later duplicates win.
    public var queryItems: [String: String] = [:]
}

/// An HTTP response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, contentType: String = "application/json", headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }
}

/// Answers HTTP requests on the loop thread. A handler may answer later (after work on another
/// thread) by keeping the responder and calling it on the loop thread.
public protocol HTTPHandler: AnyObject {
    func handle(_ request: HTTPRequest, respond: HTTPResponder)
}

/// Sends the response of one request; the first call wins.
///
/// Threading: call on the loop thread (use `EventLoop.execute` from elsewhere).
public final class HTTPResponder: @unchecked Sendable {
    weak var exchange: HTTPExchange?
    private var answered = false
    /// Called once with the response as it is sent (the router times and counts requests).
    public var onRespond: ((HTTPResponse) -> Void)?

    init(exchange: HTTPExchange?) { self.exchange = exchange }

    /// A responder that hands the response to `body` (tests, and requests answered in-process).
    public init(_ body: @escaping (HTTPResponse) -> Void) {
        exchange = nil
        onRespond = body
    }

    public func callAsFunction(_ response: HTTPResponse) {
        guard !answered else { return }
        answered = true
        onRespond?(response)
        exchange?.respond(response)
    }
}
