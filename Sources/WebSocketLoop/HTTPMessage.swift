/// An HTTP request as the handler sees it (body complete).
public struct HTTPRequest: Sendable {
    public var method: String
    /// Path without the query string, percent-decoding left to the router.
    public var path: String
    /// The raw query string (without `?`).
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

    /// Query parameters (`a=1&b=x`), percent-decoded; later duplicates win.
    public var queryItems: [String: String] {
        var out: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            out[percentDecode(kv[0])] = kv.count > 1 ? percentDecode(kv[1]) : ""
        }
        return out
    }
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
    init(exchange: HTTPExchange) { self.exchange = exchange }

    public func callAsFunction(_ response: HTTPResponse) {
        exchange?.respond(response)
    }
}

func percentDecode(_ s: Substring) -> String {
    var out: [UInt8] = []
    var it = Array(s.utf8)[...]
    while let b = it.popFirst() {
        if b == UInt8(ascii: "+") {
            out.append(0x20)
        } else if b == UInt8(ascii: "%"), it.count >= 2, let h = hexValue(it[it.startIndex]), let l = hexValue(it[it.startIndex + 1]) {
            out.append(h << 4 | l)
            it.removeFirst(2)
        } else {
            out.append(b)
        }
    }
    return String(decoding: out, as: UTF8.self)
}

private func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case 0x30...0x39: return b - 0x30
    case 0x41...0x46: return b - 0x41 + 10
    case 0x61...0x66: return b - 0x61 + 10
    default: return nil
    }
}
