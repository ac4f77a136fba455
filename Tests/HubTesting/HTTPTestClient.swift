import Foundation

/// A minimal blocking HTTP/1.1 client over a POSIX socket (loopback only), for REST tests.
public enum HTTPTestClient {
    public struct Response {
        public let status: Int
        public let headers: [String: String]
        public let body: Data
        public var json: Any? { try? JSONSerialization.jsonObject(with: body) }
        /// The body as a JSON object (empty when it is not one).
        public var object: [String: Any] { json as? [String: Any] ?? [:] }
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public enum Failure: Error {
        case connect(String)
        case malformed(String)
    }

    /// One request on its own connection; `from` binds the client to another loopback address
    /// (127.0.0.2, …) so the hub sees a different peer.
    public static func request(
        _ method: String, port: Int, path: String, headers: [String: String] = [:], body: Data? = nil, timeout: Double = 5, from: String? = nil
    ) throws -> Response {
        let fd = try open(port: port, timeout: timeout, from: from)
        defer { Foundation.close(fd) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        var out = Data(head.utf8)
        if let body { out.append(body) }
        _ = out.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        return try readResponse(fd)
    }

    /// Reads one answer up to the server's close.
    private static func readResponse(_ fd: Int32) throws -> Response {
        var received = Data()
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            received.append(contentsOf: buf[0..<n])
        }
        guard let split = received.range(of: Data("\r\n\r\n".utf8)) else { throw Failure.malformed("no header end") }
        let (status, headers) = try parseHead(received[..<split.lowerBound])
        var body = Data(received[split.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return Response(status: status, headers: headers, body: body)
    }

    public static func get(port: Int, path: String) throws -> Response { try request("GET", port: port, path: path) }

    /// A WebSocket upgrade request; the answer's head (101 when accepted, the refusal otherwise).
    public static func upgrade(port: Int, path: String, headers: [String: String] = [:], timeout: Double = 5, from: String? = nil) throws -> Response {
        let fd = try open(port: port, timeout: timeout, from: from)
        defer { Foundation.close(fd) }
        var head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        head += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        let out = Data((head + "\r\n").utf8)
        _ = out.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var received = Data()
        var buf = [UInt8](repeating: 0, count: 4096)
        while received.range(of: Data("\r\n\r\n".utf8)) == nil {
            let n = recv(fd, &buf, buf.count, 0)
            guard n > 0 else { throw Failure.malformed("closed before an answer: \(String(decoding: received, as: UTF8.self))") }
            received.append(contentsOf: buf[0..<n])
        }
        let split = received.range(of: Data("\r\n\r\n".utf8))!
        let (status, answerHeaders) = try parseHead(received[..<split.lowerBound])
        return Response(status: status, headers: answerHeaders, body: Data(received[split.upperBound...]))
    }

    /// The same request on `count` connections at once: every request is sent before any answer
    /// is read, so the server has them all in flight together. Answers in connection order.
    public static func concurrent(
        _ count: Int, _ method: String, port: Int, path: String, headers: [String: String] = [:], body: Data? = nil, timeout: Double = 30
    ) throws -> [Response] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        var out = Data((head + "\r\n").utf8)
        if let body { out.append(body) }
        var fds: [Int32] = []
        defer { for fd in fds { Foundation.close(fd) } }
        for _ in 0..<count { fds.append(try open(port: port, timeout: timeout)) }
        for fd in fds { _ = out.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) } }
        return try fds.map(readResponse)
    }

    /// GETs each path in turn on one keep-alive connection (responses need content-length).
    public static func keepAlive(port: Int, paths: [String], timeout: Double = 5) throws -> [Response] {
        try keepAlive(port: port, requests: paths.map { ("GET", $0, nil) }, timeout: timeout)
    }

    /// Sends each request in turn on one keep-alive connection, a body as JSON.
    public static func keepAlive(port: Int, requests: [(method: String, path: String, body: String?)], timeout: Double = 5) throws -> [Response] {
        let fd = try open(port: port, timeout: timeout)
        defer { Foundation.close(fd) }
        var responses: [Response] = []
        var pending = Data()
        var buf = [UInt8](repeating: 0, count: 65536)
        for (method, path, body) in requests {
            var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
            if let body { text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)" } else { text += "\r\n" }
            let head = Data(text.utf8)
            _ = head.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            while true {
                if let split = pending.range(of: Data("\r\n\r\n".utf8)) {
                    let (status, headers) = try parseHead(pending[..<split.lowerBound])
                    let length = Int(headers["content-length"] ?? "") ?? 0
                    if pending.count - split.upperBound >= length {
                        let bodyEnd = split.upperBound + length
                        responses.append(Response(status: status, headers: headers, body: Data(pending[split.upperBound..<bodyEnd])))
                        pending = Data(pending[bodyEnd...])
                        break
                    }
                }
                let n = recv(fd, &buf, buf.count, 0)
                guard n > 0 else { throw Failure.malformed("connection closed after \(responses.count) responses") }
                pending.append(contentsOf: buf[0..<n])
            }
        }
        return responses
    }

    private static func open(port: Int, timeout: Double, from: String? = nil) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.connect("socket") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if let from {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(from)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                Foundation.close(fd)
                throw Failure.connect("bind to \(from)")
            }
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            Foundation.close(fd)
            throw Failure.connect("connect to 127.0.0.1:\(port)")
        }
        return fd
    }

    private static func parseHead(_ data: Data) throws -> (Int, [String: String]) {
        let lines = String(decoding: data, as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure.malformed(lines[0]) }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            if let c = line.firstIndex(of: ":") {
                headers[line[..<c].lowercased()] = line[line.index(after: c)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return (status, headers)
    }

    private static func dechunk(_ data: Data) -> Data {
        var out = Data()
        var rest = data[...]
        while let lineEnd = rest.range(of: Data("\r\n".utf8)) {
            let sizeText = String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText, radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            out.append(rest[start..<(start + size)])
            rest = rest[(start + size + 2)...]
        }
        return out
    }
}
