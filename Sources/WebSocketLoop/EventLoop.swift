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
    /// The event library that runs the loop: the configured one, or poll when libuv was asked
    /// for and its plugin could not be loaded (`eventLibraryFallback` says why).
    public private(set) var eventLibrary = LoopConfiguration.EventLibrary.poll
    public private(set) var eventLibraryFallback: String?

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
    /// Connections to write before the loop next waits (`flushWrites`), and the round being written.
    var writeQueue: [WebSocketConnection] = []
    var writing: [WebSocketConnection] = []
    /// On poll: a timer due at once while the queue is not empty (see `queueWrite`).
    lazy var flushTimer = LoopTimer(loop: self, repeatSeconds: nil) { [unowned self] in flushWrites() }
    /// Frames written before the loop waited, and from lws' writable callbacks (loop thread).
    public internal(set) var framesWrittenDirectly: UInt64 = 0
    public internal(set) var framesWrittenOnCallback: UInt64 = 0
    var loopThread: pthread_t?
    /// With libuv: the loop this object owns (lws runs on it as a foreign loop) and the async
    /// handle that stops it from any thread (nil once closed at shutdown).
    private var uvLoop: UnsafeMutablePointer<uv_loop_t>?
    private let stopper = Mutex<AsyncHandle?>(nil)
    /// False once the context is being destroyed: no wakeup reaches it after that.
    private let wakeable = Mutex<Bool>(true)
    /// Services input lws has buffered (see `shim_uv_pending` for the library bug it covers).
    private var pendingService: UnsafeMutablePointer<shim_uv_pending>?
    /// Runs `flushWrites` before libuv waits (after `pendingService`, see `createLibuvContext`).
    private var flusher: UnsafeMutablePointer<uv_prepare_t>?
    /// lws clears this when it has freed the context (`info.pcontext`).
    private let contextSlot = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: 1)
    /// The vhost's idle policy: no lws validity pings (see `createContext`). Outlives the vhost.
    private let idlePolicy = UnsafeMutablePointer<lws_retry_bo_t>.allocate(capacity: 1)

    /// Creates the context (and listening socket). Handlers are held weakly: their owner keeps
    /// them alive for the loop's lifetime.
    public init(
        configuration: LoopConfiguration, webSocketHandler: WebSocketHandler? = nil, httpHandler: HTTPHandler? = nil
    ) throws(LoopError) {
        self.configuration = configuration
        self.webSocketHandler = webSocketHandler
        self.httpHandler = httpHandler
        frame = FrameBuffer(headroom: Int(shim_lws_pre), capacity: 256 * 1024)
        contextSlot.initialize(to: nil)
        idlePolicy.initialize(to: lws_retry_bo_t())
        EventLoop.quietLibraryLogs
        try createContext()
    }

    deinit {
        if let context {
            destroyContext()
            if let uv = uvLoop {
                // A libuv loop that never ran: let lws close its handles on it, then free it.
                closeLibuvHandles()
                drain(uv)
                if contextSlot.pointee != nil { lws_context_destroy(context) }
                drain(uv)
                _ = shim_uv_loop_free(uv)
            }
        }
        contextSlot.deallocate()
        idlePolicy.deallocate()
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
        // Dead peers are found by TCP keepalive (the kernel probes a silent connection after
        // 60 s, 3 probes 10 s apart), not by lws' validity pings: those keep one timer per
        // connection in a sorted list that lws 4.1.6 walks from its head on every insert, which
        // made accepting connections O(n) each — 40 % of the hub's CPU when 19,000 connected.
        info.retry_and_idle_policy = UnsafePointer(idlePolicy)
        info.ka_time = 60
        info.ka_probes = 3
        info.ka_interval = 10

        // The vhost (listener, protocols) is created apart from the context: a listener that
        // cannot bind then fails on its own, with a context that is whole and destroyed the
        // usual way (lws 4.1.6 crashes tearing down a half-made context on a foreign loop).
        info.options |= UInt64(LWS_SERVER_OPTION_EXPLICIT_VHOSTS)
        if c.eventLibrary == .libuv {
            context = createLibuvContext(info)
        }
        if context == nil {
            info.pcontext = nil
            context = lws_create_context(&info)
        }
        guard let ctx = context, let vhost = lws_create_vhost(ctx, &info) else {
            let tls = c.serverTLS.map { " with TLS (certificate \($0.certFile), key \($0.keyFile))" } ?? ""
            throw LoopError.contextFailed(c.listen.map { "cannot listen on \($0.host):\($0.port)\(tls)" } ?? "cannot create client context")
        }
        if c.listen != nil { port = Int(lws_get_vhost_listen_port(vhost)) }
    }

    /// The context on a libuv loop of our own (lws' foreign-loop mode): lws registers its
    /// sockets and timers on it, the waker shares it. Nil, with the reason kept, when the
    /// libwebsockets-evlib-uv plugin (or libuv) cannot be used: the caller falls back to poll.
    private func createLibuvContext(_ base: lws_context_creation_info) -> OpaquePointer? {
        guard let uv = shim_uv_loop_new() else {
            eventLibraryFallback = "libuv could not create a loop"
            return nil
        }
        guard let async = shim_uv_async_new(uv, libuvStopRequested, Unmanaged.passUnretained(self).toOpaque()) else {
            _ = shim_uv_loop_free(uv)
            eventLibraryFallback = "libuv could not create an async handle"
            return nil
        }
        // libuv runs the most recently started prepare handle first: the pending-input service
        // (started second) runs before the flush, so what it makes is written in the same turn.
        guard let flush = shim_uv_prepare_new(uv, libuvAboutToWait, Unmanaged.passUnretained(self).toOpaque()) else {
            shim_uv_async_close(async)
            drain(uv)
            _ = shim_uv_loop_free(uv)
            eventLibraryFallback = "libuv could not create a prepare handle"
            return nil
        }
        guard let pending = shim_uv_pending_new(uv) else {
            shim_uv_async_close(async)
            shim_uv_prepare_close(flush)
            drain(uv)
            _ = shim_uv_loop_free(uv)
            eventLibraryFallback = "libuv could not create the pending-input service"
            return nil
        }
        var info = base
        info.options |= UInt64(LWS_SERVER_OPTION_LIBUV)
        info.pcontext = contextSlot
        var loops: [UnsafeMutableRawPointer?] = [UnsafeMutableRawPointer(uv)]
        let ctx = loops.withUnsafeMutableBufferPointer { buffer -> OpaquePointer? in
            info.foreign_loops = buffer.baseAddress
            return lws_create_context(&info)
        }
        guard let ctx else {
            // The plugin is loaded before lws touches the loop: only our handles are on it.
            shim_uv_async_close(async)
            shim_uv_pending_close(pending)
            shim_uv_prepare_close(flush)
            drain(uv)
            _ = shim_uv_loop_free(uv)
            eventLibraryFallback = "libwebsockets could not start on libuv (is libwebsockets-evlib-uv installed?)"
            return nil
        }
        // On a foreign loop lws stops short of freeing the context after the first
        // `lws_context_destroy`; it clears this slot when a later call has freed it.
        contextSlot.pointee = ctx
        pending.pointee.context = ctx
        pendingService = pending
        flusher = flush
        uvLoop = uv
        let handle = AsyncHandle(pointer: async)
        stopper.withLock { $0 = handle }
        eventLibrary = .libuv
        return ctx
    }

    /// Runs a libuv loop until nothing is pending (close callbacks included), at most a bounded
    /// number of passes: used where lws must finish closing before the loop is freed.
    private func drain(_ uv: UnsafeMutablePointer<uv_loop_t>) {
        var passes = 0
        while uv_run(uv, UV_RUN_NOWAIT) != 0, passes < 10_000 { passes += 1 }
    }

    /// Closes the libuv handles of our own: the stopper and the pending service.
    private func closeLibuvHandles() {
        stopper.withLock { async in
            if let a = async { shim_uv_async_close(a.pointer) }
            async = nil
        }
        if let p = pendingService { shim_uv_pending_close(p) }
        pendingService = nil
        if let f = flusher { shim_uv_prepare_close(f) }
        flusher = nil
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
        if let uv = uvLoop {
            // Returns once `shutDownLibuv` has closed the waker and lws every handle of its own.
            uv_run(uv, UV_RUN_DEFAULT)
            running.store(false, ordering: .sequentiallyConsistent)
            if contextSlot.pointee != nil { lws_context_destroy(ctx) }
            drain(uv)
            if shim_uv_loop_free(uv) == 0 { uvLoop = nil }
        } else {
            while !stopRequested.load(ordering: .relaxed) {
                flushWrites()
                if lws_service(ctx, 0) < 0 { break }
            }
            running.store(false, ordering: .sequentiallyConsistent)
            destroyContext()
        }
        context = nil
        clients.removeAll()
        finished.withLock { $0 = true }
        finishedSignal.signal()
    }

    /// Starts destroying the context: timers are cancelled while their lists still exist, no
    /// wakeup reaches the context after this, and lws closes every connection (their closed
    /// callbacks run on this thread).
    private func destroyContext() {
        for t in timerRefs.values { t.cancel() }
        timerRefs.removeAll()
        for c in writeQueue { c.writeQueued = false }
        writeQueue.removeAll()
        wakeable.withLock { $0 = false }
        if let ctx = context { lws_context_destroy(ctx) }
    }

    /// The libuv loop's shutdown, on its thread outside any lws callback: work queued before
    /// the stop runs, no more wakeups, then lws closes every connection and its handles;
    /// `uv_run` returns when they are closed.
    fileprivate func shutDownLibuv() {
        drainQueue()
        closeLibuvHandles()
        destroyContext()
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
        if eventLibrary == .libuv {
            stopper.withLock { async in if let a = async { uv_async_send(a.pointer) } }
        } else {
            wake()
        }
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

    /// Wakes the loop through lws' own pipe (with libuv too: its WAIT_CANCELLED callback is an
    /// lws callback, after which lws arms the timers the queued work scheduled).
    private func wake() {
        wakeable.withLock { open in
            if open, let ctx = context { lws_cancel_service(ctx) }
        }
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

/// A libuv async handle: `uv_async_send` is the one call made on it from other threads.
private struct AsyncHandle: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<uv_async_t>
}

/// The libuv prepare handle's callback (loop thread): the loop is about to wait.
private func libuvAboutToWait(_ handle: UnsafeMutablePointer<uv_prepare_t>?) {
    guard let data = handle?.pointee.data else { return }
    Unmanaged<EventLoop>.fromOpaque(data).takeUnretainedValue().flushWrites()
}

/// The libuv stopper's callback (loop thread).
private func libuvStopRequested(_ handle: UnsafeMutablePointer<uv_async_t>?) {
    guard let data = handle?.pointee.data else { return }
    Unmanaged<EventLoop>.fromOpaque(data).takeUnretainedValue().shutDownLibuv()
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
