import Foundation
import HubCache

/// A private redis-server for one test: a free loopback port, a temporary directory, no
/// persistence; killed and restarted on demand (same port) to test outages.
public final class TestRedis: @unchecked Sendable {
    public let port: Int
    public let directory: String
    private var process: Process?
    /// The server `scripts/test` started for the whole run (`STREAMHUB_TEST_REDIS_URL`), shared
    /// by tests that do not stop it; tests isolate themselves with their own key prefix.
    public let isShared: Bool
    private let sharedURL: String?

    /// The run's shared server when `scripts/test` started one, else a private one.
    public static func sharedOrPrivate() throws -> TestRedis {
        if let url = ProcessInfo.processInfo.environment["STREAMHUB_TEST_REDIS_URL"], !url.isEmpty,
            let parsed = try? RedisURL(parsing: url)
        {
            return TestRedis(shared: url, port: parsed.port)
        }
        return try TestRedis()
    }

    private init(shared url: String, port: Int) {
        self.port = port
        directory = ""
        isShared = true
        sharedURL = url
    }

    public enum Failure: Error, CustomStringConvertible {
        case notInstalled
        case didNotStart(String)
        public var description: String {
            switch self {
            case .notInstalled: return "redis-server is not installed (scripts/setup installs it)"
            case .didNotStart(let why): return "redis-server did not start: \(why)"
            }
        }
    }

    public static var binary: String? {
        ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A private server: started now, stopped when the instance goes.
    public init() throws {
        isShared = false
        sharedURL = nil
        guard Self.binary != nil else { throw Failure.notInstalled }
        port = try Self.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try start()
    }

    deinit { shutdown() }

    /// Stops a private server and removes its directory (call from tearDown: XCTest keeps test
    /// case instances alive for the whole run). A shared server is left alone.
    public func shutdown() {
        guard !isShared else { return }
        kill()
        try? FileManager.default.removeItem(atPath: directory)
    }

    public var url: String { sharedURL ?? "redis://127.0.0.1:\(port)/0" }

    /// Starts (again) on the same port and waits until it answers PING.
    public func start() throws {
        precondition(!isShared, "a shared server is not restarted by tests")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary!)
        p.arguments = ["--port", "\(port)", "--bind", "127.0.0.1", "--dir", directory, "--save", "", "--appendonly", "no", "--loglevel", "warning"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let c = try? RedisConnection(url: url, timeoutSeconds: 0.5), (try? c.command(["PING"]))?.text == "PONG" { return }
            usleep(20_000)
        }
        throw Failure.didNotStart("no PONG on port \(port)")
    }

    /// SIGKILL, and wait for the process to be gone.
    public func kill() {
        precondition(!isShared, "a shared server is not stopped by tests")
        guard let p = process, p.isRunning else { return }
        Foundation.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        process = nil
    }

    /// A client connection for checking contents.
    public func client() throws -> RedisConnection { try RedisConnection(url: url) }

    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw Failure.didNotStart("no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
