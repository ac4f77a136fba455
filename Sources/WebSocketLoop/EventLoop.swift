import CWebSockets
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A libwebsockets context and the one thread that services it. Every socket of the context —
/// accepted WebSocket and HTTP connections and outgoing client connections — lives on that thread.
///
/// Threading: `execute`, `stop` and `port` may be called from any thread; everything else,
/// and every handler callback, runs on the loop thread.
public final class EventLoop: @unchecked Sendable {
    public let configuration: LoopConfiguration
    var context: OpaquePointer?
    /// The listening port (the OS-chosen one when configured with port 0).
    public private(set) var port: Int = 0

    weak var webSocketHandler: WebSocketHandler?
    weak var httpHandler: HTTPHandler?
    /// Decides from the handshake (`LoopConfiguration.captureHeaders` and `Authorization`)
    /// whether an upgrade is accepted; a refused one is answered with its HTTP status before any
    /// WebSocket frame (a login check, a malformed credential). Set before `start`; called on the
    /// loop thread.
    public var upgradeFilter: ((UpgradeRequest) -> UpgradeDecision)?

    private let queue = Mutex<[@Sendable () -> Void]>([])
    private let stopRequested = Atomic<Bool>(false)
    private let running = Atomic<Bool>(false)
    /// Set once `start` or `run` is called: a loop that never ran has nothing to wait for.
    private let launched = Atomic<Bool>(false)
    private let finished = Mutex<Bool>(false)
    private let finishedSignal = DispatchSemaphore(value: 0)
    private var strings = CStrings()
    private var protocols: UnsafeMutablePointer<lws_protocols>?
    private var mounts: UnsafeMutablePointer<lws_http_mount>?
    private var extensions: UnsafeMutablePointer<lws_extension>?
    /// Timers keep themselves alive while scheduled.
    var timerRefs: [ObjectIdentifier: LoopTimer] = [:]
    /// Client connections kept alive until their closed callback.
    var clients: [ObjectIdentifier: WebSocketConnection] = [:]
    /// Outgoing HTTP requests (`fetch`) until lws has closed their connections.
    var httpClients: [ObjectIdentifier: HTTPClientRequest] = [:]
    /// The one frame buffer every connection writes from (lws copies what the socket does not take).
    var frame: FrameBuffer
    var loopThread: pthread_t?

    /// Creates the context (and listening socket). Handlers are held weakly: their owner keeps
    /// them alive for the loop's lifetime.
    public init(
        configuration: LoopConfiguration, webSocketHandler: WebSocketHandler? = nil, httpHandler: HTTPHandler? = nil
    ) throws(LoopError) {
        self.configuration = configuration
        self.webSocketHandler = webSocketHandler
        self.httpHandler = httpHandler
        frame = FrameBuffer(headroom: Int(shim_lws_pre), capacity: 256 * 1024)
        EventLoop.quietLibraryLogs
        try createContext()
    }

    deinit {
        if let context { lws_context_destroy(context) }
        protocols?.deallocate()
        mounts?.deallocate()
        extensions?.deallocate()
        strings.free()
    }

    private func createContext() throws(LoopError) {
        var info = lws_context_creation_info()
        let c = configuration

        protocols = .allocate(capacity: 3)
        var server = shim_protocol_terminator()
        server.name = UnsafePointer(strings.make("streamhub"))
        server.callback = lwsCallback
        server.per_session_data_size = MemoryLayout<UnsafeMutableRawPointer?>.size
        server.rx_buffer_size = 4096
        // lws caps each send() at tx_packet_size (else rx_buffer_size, 4 KiB) and buffers the
        // rest by copy: let a whole frame go to the kernel in one call.
        server.tx_packet_size = 16 << 20
        var client = shim_protocol_terminator()
        client.name = UnsafePointer(strings.make("streamhub-client"))
        client.callback = lwsCallback
        client.per_session_data_size = 0
        client.rx_buffer_size = 64 * 1024
        client.tx_packet_size = 1 << 20
        protocols!.initialize(to: server)
        (protocols! + 1).initialize(to: client)
        (protocols! + 2).initialize(to: shim_protocol_terminator())
        info.protocols = UnsafePointer(protocols)

        if let listen = c.listen {
            info.port = Int32(listen.port)
            info.iface = UnsafePointer(strings.make(listen.host))
            info.vhost_name = UnsafePointer(strings.make("default"))
            info.mounts = UnsafePointer(makeMounts())
        } else {
            info.port = CONTEXT_PORT_NO_LISTEN
        }
        if c.permessageDeflate {
            extensions = .allocate(capacity: 2)
            var pmd = lws_extension()
            pmd.name = UnsafePointer(strings.make("permessage-deflate"))
            pmd.callback = boundedDeflate
            pmd.client_offer = UnsafePointer(strings.make("permessage-deflate; client_max_window_bits"))
            extensions!.initialize(to: pmd)
            (extensions! + 1).initialize(to: lws_extension())
            info.extensions = UnsafePointer(extensions)
        }
        info.options = UInt64(LWS_SERVER_OPTION_DISABLE_IPV6)
        if c.clientTLS || c.serverTLS != nil { info.options |= UInt64(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT) }
        if let ca = c.clientCAFile { info.client_ssl_ca_filepath = UnsafePointer(strings.make(ca)) }
        if let tls = c.serverTLS, c.listen != nil {
            info.ssl_cert_filepath = UnsafePointer(strings.make(tls.certFile))
            info.ssl_private_key_filepath = UnsafePointer(strings.make(tls.keyFile))
            if let ca = tls.clientCAFile {
                info.ssl_ca_filepath = UnsafePointer(strings.make(ca))
                info.options |= UInt64(shim_require_client_cert)
            }
        }
        info.fd_limit_per_thread = c.maxConnections
        info.user = Unmanaged.passUnretained(self).toOpaque()
        info.pt_serv_buf_size = 32 * 1024
        // Room for request headers beyond lws' 4 KB default: identity providers' tokens in
        // `Authorization` (or `access_token`) can be several kilobytes.
        info.max_http_header_data = 16 * 1024
        info.timeout_secs = 20

        guard let ctx = lws_create_context(&info) else {
            let tls = c.serverTLS.map { " with TLS (certificate \($0.certFile), key \($0.keyFile))" } ?? ""
            throw LoopError.contextFailed(c.listen.map { "cannot listen on \($0.host):\($0.port)\(tls)" } ?? "cannot create client context")
        }
        context = ctx
        if c.listen != nil, let vh = lws_get_vhost_by_name(ctx, "default") {
            port = Int(lws_get_vhost_listen_port(vh))
        }
    }

    private func makeMounts() -> UnsafeMutablePointer<lws_http_mount>? {
        let c = configuration
        var list: [lws_http_mount] = []
        for prefix in c.dynamicPrefixes {
            var m = lws_http_mount()
            m.mountpoint = UnsafePointer(strings.make(prefix))
            m.mountpoint_len = UInt8(prefix.utf8.count)
            m.origin = UnsafePointer(strings.make("streamhub"))
            m.origin_protocol = UInt8(LWSMPRO_CALLBACK.rawValue)
            list.append(m)
        }
        for (prefix, directory) in c.staticMounts {
            var m = lws_http_mount()
            m.mountpoint = UnsafePointer(strings.make(prefix))
            m.mountpoint_len = UInt8(prefix.utf8.count)
            m.origin = UnsafePointer(strings.make(directory))
            m.origin_protocol = UInt8(LWSMPRO_FILE.rawValue)
            list.append(m)
        }
        if let root = c.staticRoot {
            var m = lws_http_mount()
            m.mountpoint = UnsafePointer(strings.make("/"))
            m.mountpoint_len = 1
            m.origin = UnsafePointer(strings.make(root))
            m.def = UnsafePointer(strings.make("index.html"))
            m.origin_protocol = UInt8(LWSMPRO_FILE.rawValue)
            list.append(m)
        }
        guard !list.isEmpty else { return nil }
        mounts = .allocate(capacity: list.count)
        for i in list.indices {
            (mounts! + i).initialize(to: list[i])
            if i > 0 { (mounts! + i - 1).pointee.mount_next = UnsafePointer(mounts! + i) }
        }
        return mounts
    }

    /// libwebsockets logs errors and warnings only (its notices are start-up chatter).
    private static let quietLibraryLogs: Void = {
        lws_set_log_level(LLL_ERR | LLL_WARN, nil)
    }()

    // MARK: Running

    /// Services the context on the calling thread until `stop()`.
    public func run() {
        launched.store(true, ordering: .sequentiallyConsistent)
        guard let ctx = context else {
            finishedSignal.signal()
            return
        }
        loopThread = pthread_self()
        running.store(true, ordering: .sequentiallyConsistent)
        while !stopRequested.load(ordering: .relaxed) {
            if lws_service(ctx, 0) < 0 { break }
        }
        running.store(false, ordering: .sequentiallyConsistent)
        // Timers are cancelled while their lists still exist; destroying the context then
        // closes every connection (their closed callbacks run here).
        for t in timerRefs.values { t.cancel() }
        timerRefs.removeAll()
        lws_context_destroy(ctx)
        context = nil
        clients.removeAll()
        finished.withLock { $0 = true }
        finishedSignal.signal()
    }

    /// Runs the loop on a new thread. Returns once it has started.
    public func start(name: String = "lws-loop") {
        launched.store(true, ordering: .sequentiallyConsistent)
        let thread = Thread { [self] in self.run() }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Asks the loop to finish (thread-safe). `run()` returns after the current iteration.
    public func stop() {
        stopRequested.store(true, ordering: .sequentiallyConsistent)
        wake()
    }

    /// True once `run()` has returned and the context is destroyed.
    public var isFinished: Bool { finished.withLock { $0 } }

    /// Blocks until `run()` has returned (after `stop()`); never call it on the loop thread.
    public func waitUntilFinished() {
        guard launched.load(ordering: .sequentiallyConsistent) else { return }
        finishedSignal.wait()
        finishedSignal.signal()  // later waiters return at once
    }

    /// Runs `work` on the loop thread (thread-safe): queued, then the loop is woken.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        queue.withLock { $0.append(work) }
        wake()
    }

    private func wake() {
        // The context pointer is written once before the loop starts and cleared on its thread.
        if let ctx = context { lws_cancel_service(ctx) }
    }

    func drainQueue() {
        let work = queue.withLock { q -> [@Sendable () -> Void] in
            let w = q
            q.removeAll()
            return w
        }
        for w in work { w() }
    }

    /// True when called on the loop thread.
    public var isLoopThread: Bool {
        guard let t = loopThread else { return false }
        return pthread_equal(t, pthread_self()) != 0
    }

    // MARK: Timers

    /// Runs `body` once after `seconds` on the loop thread. Call on the loop thread.
    @discardableResult
    public func schedule(after seconds: Double, _ body: @escaping () -> Void) -> LoopTimer {
        let t = LoopTimer(loop: self, repeatSeconds: nil, body: body)
        t.schedule(after: seconds)
        return t
    }

    /// Runs `body` every `seconds` on the loop thread until cancelled. Call on the loop thread.
    @discardableResult
    public func every(_ seconds: Double, _ body: @escaping () -> Void) -> LoopTimer {
        let t = LoopTimer(loop: self, repeatSeconds: seconds, body: body)
        t.schedule(after: seconds)
        return t
    }
}

/// Why a loop could not be created or a connection not opened.
public enum LoopError: Error, Equatable, CustomStringConvertible {
    case contextFailed(String)
    case invalidURL(String)
    case connectFailed(String)
    case requestFailed(String)

    public var description: String {
        switch self {
        case .contextFailed(let s): return s
        case .invalidURL(let s): return "invalid WebSocket URL: \(s)"
        case .connectFailed(let s): return "connect failed: \(s)"
        case .requestFailed(let s): return "request failed: \(s)"
        }
    }
}

/// C strings that must outlive the context (names, paths, mount points).
struct CStrings {
    private var owned: [UnsafeMutablePointer<CChar>] = []

    mutating func make(_ s: String) -> UnsafeMutablePointer<CChar> {
        let p = strdup(s)!
        owned.append(p)
        return p
    }

    mutating func free() {
        for p in owned { Glibc.free(p) }
        owned.removeAll()
    }
}

/// A NUL-terminated buffer filled by C as a String.
func string(fromC buf: [CChar]) -> String {
    let end = buf.firstIndex(of: 0) ?? buf.endIndex
    return String(decoding: buf[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
