import CHiredis

#if canImport(Glibc)
import Glibc
#endif

/// A Redis reply, copied out of hiredis' reply object.
public enum RedisReply: Equatable, Sendable {
    case string([UInt8])
    case status(String)
    case integer(Int64)
    case array([RedisReply])
    case null
    case error(String)

    public var text: String? {
        switch self {
        case .string(let b): return String(decoding: b, as: UTF8.self)
        case .status(let s): return s
        default: return nil
        }
    }
}

/// One blocking hiredis connection with timeouts. Every call that fails at the socket leaves the
/// connection unusable (`isBroken`); the owner reconnects. (Also the test suites' Redis client.)
///
/// Threading: one thread at a time (the Redis writer's).
public final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>
    public private(set) var isBroken = false

    public convenience init(url: String, timeoutSeconds: Double = 2) throws(RedisError) {
        try self.init(try RedisURL(parsing: url), timeoutSeconds: timeoutSeconds)
    }

    public init(_ url: RedisURL, timeoutSeconds: Double) throws(RedisError) {
        let tv = timeval(tv_sec: Int(timeoutSeconds), tv_usec: Int((timeoutSeconds - Double(Int(timeoutSeconds))) * 1e6))
        guard let c = redisConnectWithTimeout(url.host, Int32(url.port), tv) else { throw .connect("out of memory") }
        if c.pointee.err != 0 {
            let message = Self.errorString(c)
            redisFree(c)
            throw .connect("\(url): \(message)")
        }
        context = c
        BoundedReplies.install(on: c.pointee.reader)
        redisSetTimeout(c, tv)
        if let password = url.password {
            if case .error(let e) = try command(["AUTH", password]) { throw .connect("AUTH: \(e)") }
        }
        if url.database != 0 {
            if case .error(let e) = try command(["SELECT", String(url.database)]) { throw .connect("SELECT: \(e)") }
        }
    }

    deinit { redisFree(context) }

    /// Read timeout from now on; 0 waits for ever (a subscription, woken by `interrupt`). TCP
    /// keepalive is turned on with it, so a peer that vanished still ends the wait.
    public func setReadTimeout(seconds: Double) {
        let tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
        redisSetTimeout(context, tv)
        _ = redisEnableKeepAlive(context)
    }

    /// The next reply the server sends (a subscription's messages), blocking up to the timeout.
    public func nextReply() throws(RedisError) -> RedisReply {
        guard !isBroken else { throw .io("connection is broken") }
        var raw: UnsafeMutableRawPointer?
        if redisGetReply(context, &raw) != REDIS_OK || raw == nil {
            isBroken = true
            throw .io(Self.errorString(context))
        }
        defer { freeReplyObject(raw) }
        return Self.convert(raw!.assumingMemoryBound(to: redisReply.self))
    }

    /// A reply already read off the socket and buffered, without waiting (nil: none complete).
    public func bufferedReply() throws(RedisError) -> RedisReply? {
        guard !isBroken else { throw .io("connection is broken") }
        var raw: UnsafeMutableRawPointer?
        if redisReaderGetReply(context.pointee.reader, &raw) != REDIS_OK {
            isBroken = true
            throw .io(Self.errorString(context))
        }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return Self.convert(raw.assumingMemoryBound(to: redisReply.self))
    }

    /// Ends a wait in `nextReply` from another thread: the socket is shut down, so the read
    /// fails and the connection is broken. The only call allowed from a second thread.
    public func interrupt() {
        _ = shutdown(context.pointee.fd, Int32(SHUT_RDWR))
    }

    public func command(_ args: [String]) throws(RedisError) -> RedisReply {
        try pipeline([args.map { Array($0.utf8) }])[0]
    }

    /// Sends every command, then reads every reply (one round trip).
    public func pipeline(_ commands: [[[UInt8]]]) throws(RedisError) -> [RedisReply] {
        guard !isBroken else { throw .io("connection is broken") }
        for args in commands {
            let rc = Self.withArgv(args) { argc, argv, lens in redisAppendCommandArgv(context, argc, argv, lens) }
            if rc != REDIS_OK {
                isBroken = true
                throw .io(Self.errorString(context))
            }
        }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            if redisGetReply(context, &raw) != REDIS_OK || raw == nil {
                isBroken = true
                throw .io(Self.errorString(context))
            }
            let reply = raw!.assumingMemoryBound(to: redisReply.self)
            replies.append(Self.convert(reply))
            freeReplyObject(raw)
        }
        return replies
    }

    /// Every complete reply in `resp` (RESP bytes, as Redis sends them), read with hiredis'
    /// own reader; a protocol error ends the list. (Fuzzing feeds it arbitrary bytes.)
    public static func replies(resp: [UInt8]) -> [RedisReply] {
        guard let reader = redisReaderCreate() else { return [] }
        defer { redisReaderFree(reader) }
        BoundedReplies.install(on: reader)
        let fed = resp.withUnsafeBufferPointer { b in
            b.baseAddress.map { redisReaderFeed(reader, UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self), b.count) } ?? REDIS_OK
        }
        guard fed == REDIS_OK else { return [] }
        var out: [RedisReply] = []
        while true {
            var raw: UnsafeMutableRawPointer?
            guard redisReaderGetReply(reader, &raw) == REDIS_OK, let raw else { return out }
            out.append(convert(raw.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(raw)
        }
    }

    private static func withArgv<R>(_ args: [[UInt8]], _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R) -> R {
        // One buffer for every argument keeps the pointers valid for the call.
        var blob: [UInt8] = []
        var offsets: [Int] = []
        for a in args {
            offsets.append(blob.count)
            blob.append(contentsOf: a)
        }
        blob.append(0)
        let lengths = args.map(\.count)
        return blob.withUnsafeBufferPointer { b in
            let base = UnsafeRawPointer(b.baseAddress!).assumingMemoryBound(to: CChar.self)
            var argv: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
            return argv.withUnsafeMutableBufferPointer { av in
                lengths.withUnsafeBufferPointer { lens in body(Int32(args.count), av.baseAddress!, lens.baseAddress!) }
            }
        }
    }

    private static func convert(_ r: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let v = r.pointee
        func bytes() -> [UInt8] {
            guard let p = v.str else { return [] }
            return Array(UnsafeRawBufferPointer(start: p, count: Int(v.len)))
        }
        switch v.type {
        case REDIS_REPLY_STRING: return .string(bytes())
        case REDIS_REPLY_STATUS: return .status(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_INTEGER: return .integer(v.integer)
        case REDIS_REPLY_NIL: return .null
        case REDIS_REPLY_ERROR: return .error(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_ARRAY:
            var items: [RedisReply] = []
            for i in 0..<Int(v.elements) {
                if let e = v.element[i] { items.append(convert(e)) }
            }
            return .array(items)
        default: return .null
        }
    }

    private static func errorString(_ c: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: c.pointee.errstr) { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[..<end], as: UTF8.self)
        }
    }
}
