import Foundation
import HubCore
import HubServer
import Logging
import Venues

/// A hub on a free loopback port for one test, with the simulators its configuration asks for
/// (`feeds.venues.<venue>.simulate`), stopped by `stop()`.
public final class TestHub: @unchecked Sendable {
    public let server: HubServer
    /// The simulators started beside the hub (as `streamhub serve` starts them).
    public let simulation: Simulation
    private var stopped = false
    public var port: Int { server.port }
    /// The WebSocket URL with the admin's token (every channel and property).
    public var wsURL: String { "ws://127.0.0.1:\(port)/ws?access_token=\(adminToken)" }
    /// The WebSocket URL without a token (anonymous, or `auth` first).
    public var anonymousURL: String { "ws://127.0.0.1:\(port)/ws" }

    /// The HS256 secret of test hubs.
    public static let jwtSecret = "streamhub-test-secret-0123456789abcdef"
    /// The bootstrap admin's API key of test hubs.
    public static let adminKey = "shk_testadmin_0123456789abcdefghijklmnopqrstuv"
    /// A token of the bootstrap admin (user `admin`).
    public private(set) var adminToken = ""

    public let dataDirectory: String
    /// A temporary directory this hub created (removed on stop); a passed-in one is kept.
    private let ownsDataDirectory: Bool

    /// The repository's `config/properties` (the shipped property definitions).
    public static let propertiesDirectory = repository.appendingPathComponent("config/properties").path
    /// The repository's default roles.
    public static let rolesFile = repository.appendingPathComponent("config/roles.yaml").path
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// - Parameters:
    ///   - dataDirectory: reuse a data directory (a restart); by default a fresh temporary one.
    ///   - clock: the hub's clock (a `ManualClock` to drive session rules without sleeping).
    ///   - configure: adjust the default test configuration (no feeds, port 0).
    ///   - beforeStart: runs on the built hub before it starts (`record(to:)`).
    public init(
        dataDirectory: String? = nil, clock: HubClock = SystemClock(), _ configure: (inout HubConfig) -> Void = { _ in },
        beforeStart: (HubServer) throws -> Void = { _ in }
    ) throws {
        var config = HubConfig()
        config.server.port = 0
        config.server.publicDir = nil
        config.server.shutdownGraceSeconds = 1
        ownsDataDirectory = dataDirectory == nil
        self.dataDirectory = dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("streamhub-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: self.dataDirectory, withIntermediateDirectories: true)
        config.server.dataDir = self.dataDirectory
        config.properties.seedDirectory = Self.propertiesDirectory
        config.mappings.seedFile = Self.repository.appendingPathComponent("config/mappings.yaml").path
        config.auth.jwtSecret = Self.jwtSecret
        config.auth.bootstrapAdminKey = Self.adminKey
        config.auth.rolesFile = Self.rolesFile
        config.auth.passwordRounds = 10_000
        configure(&config)
        var logger = Logger(label: "test-hub")
        logger.logLevel = .error
        server = try HubServer(config: config, venues: VenueRegistry.all, clock: clock, logger: logger)
        simulation = try Simulation(config.feeds.venues, context: SimulationContext(mappings: server.mappings, clock: clock))
        do {
            try beforeStart(server)
            try server.start(sections: simulation.sections)
        } catch {
            stopped = true  // nothing runs: deinit has nothing to stop
            simulation.stop()
            throw error
        }
        if let admin = try server.store.user(named: "admin") { adminToken = try token(subject: "\(admin.id)") }
    }

    /// A token signed with the hub's key for `subject` (a local user id).
    public func token(subject: String, lifetime: Double = 900) throws -> String {
        let tokens = server.tokens
        return try blocking { try await tokens.issue(subject: subject, lifetime: lifetime).token }
    }

    /// Stands for the admin's token in `request` (the default).
    public static let admin = "<admin>"

    /// A REST request, as the admin unless another token (or none: `token: nil`) is given;
    /// `from` another loopback address (127.0.0.2) to appear as another client.
    public func request(
        _ method: String, _ path: String, _ body: String? = nil, token: String? = TestHub.admin, from: String? = nil
    ) throws -> HTTPTestClient.Response {
        var headers = ["Content-Type": "application/json"]
        let t = token == Self.admin ? adminToken : token
        if let t { headers["Authorization"] = "Bearer \(t)" }
        return try HTTPTestClient.request(method, port: port, path: path, headers: headers, body: body.map { Data($0.utf8) }, from: from)
    }

    /// A REST call the test relied on was refused.
    public struct RequestFailed: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// A user with `roles` created by the admin through the REST API (a fresh name by default):
    /// its id and a token of it.
    public func createUser(_ name: String? = nil, roles: [String]) throws -> (id: Int, token: String) {
        let username = name ?? "u\(UUID().uuidString.prefix(8))"
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["username": username, "roles": roles]), as: UTF8.self)
        let r = try request("POST", "/api/users", body)
        guard r.status == 201, let id = ((r.json as? [String: Any])?["user"] as? [String: Any])?["id"] as? Int else {
            throw RequestFailed(description: "creating user \(username): \(r.status) \(r.text)")
        }
        return (id, try token(subject: "\(id)"))
    }

    /// The in-process simulator of one type (tests drive its prices and faults).
    public func simulator<S: VenueSimulator>(_ type: S.Type) -> S? { simulation.simulator(type) }

    /// A hub a failed test left running is stopped before its loop can outlive it.
    deinit { stop() }

    /// Stops the hub and its simulators (and removes the data directory it created).
    public func stop() {
        guard !stopped else { return }
        stopped = true
        server.stopAndWait()
        simulation.stop()
        if ownsDataDirectory { try? FileManager.default.removeItem(atPath: dataDirectory) }
    }

    /// Runs `body` on the hub's loop thread and waits for its result.
    @discardableResult
    public func sync<T: Sendable>(_ body: @escaping @Sendable (HubServer) -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        let box = Box<T>()
        server.onLoop { s in
            box.value = body(s)
            done.signal()
        }
        done.wait()
        return box.value!
    }

    /// Pushes raw events through the pipeline (transform → enrich → serve) on the loop thread.
    public func inject(_ events: [RawEvent]) {
        sync { s in
            for e in events { s.pipeline.process(e) }
            return true
        }
    }

    /// `GET /healthz` decoded, in full (as the admin).
    public func health() throws -> [String: Any] { try request("GET", "/healthz").object }

    /// Waits until `condition` holds on the loop thread. It is checked now and again after every
    /// feed event (a frame, the answer to a venue fetch, a timer tick, a disconnect): waiting on events, not
    /// polling. Fails after `timeout` seconds (a bound, not a schedule).
    public func wait(timeout: Double = 5, _ what: String, _ condition: @escaping @Sendable (HubServer) -> Bool) throws {
        let done = DispatchSemaphore(value: 0)
        let met = Flag()
        server.whenever { s in
            guard !met.isSet else { return true }
            guard condition(s) else { return false }
            met.set()
            done.signal()
            return true
        }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            met.set()  // the waiter goes at the next event
            throw TestClient.Failure.timeout(what)
        }
    }

    /// Waits until every named source is live (see `wait`).
    public func waitUntilLive(_ names: String..., timeout: Double = 10) throws {
        for n in names { try waitForSource(n, timeout: timeout, "live") { $0.state == "live" } }
    }

    /// Waits until `property` of `source` has been quarantined (see `wait`).
    public func waitForQuarantine(_ source: String, _ property: String, timeout: Double = 5) throws {
        try wait(timeout: timeout, "\(source).\(property) quarantined") { $0.pipeline.transform.quarantinedBy[source]?[property] != nil }
    }

    /// Waits until a source's report satisfies `condition` (see `wait`).
    public func waitForSource(_ name: String, timeout: Double = 5, _ what: String, _ condition: @escaping @Sendable (SourceReport) -> Bool) throws {
        try wait(timeout: timeout, "\(name): \(what)") { s in s.sourceReport(name).map(condition) ?? false }
    }
}

/// A thread-safe one-way switch.
public final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    public init() {}
    public var isSet: Bool { lock.withLock { value } }
    public func set() { lock.withLock { value = true } }
}

private final class Box<T>: @unchecked Sendable { var value: T? }

/// Polls `condition` every 10 ms until it holds or `timeout` passes (for state that has no
/// event to wait on, such as a counter behind an HTTP endpoint).
public func eventually(timeout: Double = 5, _ what: String, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return }
        if Date() >= deadline { throw TestClient.Failure.timeout(what) }
        usleep(10_000)
    }
}
