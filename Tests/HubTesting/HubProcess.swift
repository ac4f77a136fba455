import Foundation

/// `streamhub serve` as a child process (the binary beside the test bundle), on the port the OS
/// chose — read from its log line — for tests of what only a real process shows: signals,
/// `kill -9`, exit codes.
public final class HubProcess: @unchecked Sendable {
    public let process = Process()
    public private(set) var port = 0
    private let lock = NSCondition()
    private var log = ""

    /// The `streamhub` executable built beside the test bundle.
    public static var binary: URL {
        get throws {
            let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            let url = dir.appendingPathComponent("streamhub")
            guard FileManager.default.isExecutableFile(atPath: url.path) else {
                throw MissingPrerequisite("\(url.path) not built (scripts/test builds every product first)")
            }
            return url
        }
    }

    /// Runs `streamhub args…` (through `wrapper`, as for `init`; `stdin` as its input) to
    /// completion (test secret and admin key in the environment): exit code, standard output,
    /// standard error.
    public static func run(
        _ args: [String], wrapper: [String] = [], env: [String: String] = [:], stdin: String? = nil
    ) throws -> (code: Int32, out: String, err: String) {
        let p = Process()
        try prepare(p, args, wrapper: wrapper, env: env)
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Standard output is read on another thread while standard error is read here: neither pipe can fill.
        let outData = Box(), read = DispatchSemaphore(value: 0)
        Thread {
            outData.data = out.fileHandleForReading.readDataToEndOfFile()
            read.signal()
        }.start()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        read.wait()
        return (p.terminationStatus, String(decoding: outData.data, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    private final class Box: @unchecked Sendable { var data = Data() }

    /// `streamhub args…` (or `wrapper…` then the binary and the arguments), with the test hubs'
    /// JWT secret and admin key in the environment.
    private static func prepare(_ p: Process, _ args: [String], wrapper: [String], env: [String: String]) throws {
        if let tool = wrapper.first {
            p.executableURL = URL(fileURLWithPath: tool)
            p.arguments = Array(wrapper.dropFirst()) + [try binary.path] + args
        } else {
            p.executableURL = try binary
            p.arguments = args
        }
        let base = ["STREAMHUB_JWT_SECRET": TestHub.jwtSecret, "STREAMHUB_ADMIN_API_KEY": TestHub.adminKey]
        p.environment = ProcessInfo.processInfo.environment.merging(base) { $1 }.merging(env) { $1 }
    }

    /// Starts `streamhub serve --config config --data-dir dataDir --log-level info` and waits (at
    /// most `timeout` seconds) for it to listen.
    public convenience init(config: String, dataDir: String, env: [String: String] = [:], timeout: Double = 20) throws {
        try self.init(["serve", "--config", config, "--data-dir", dataDir, "--log-level", "info"], env: env, timeout: timeout)
    }

    /// Starts `streamhub arguments…` (with the test hubs' JWT secret and admin key in its
    /// environment) — through `wrapper` when given (`unshare …`, which then execs the binary
    /// with the arguments appended) — and waits (at most `timeout` seconds) for its log to name
    /// the port it listens on (`--log-level info` or lower).
    public init(_ arguments: [String], wrapper: [String] = [], env: [String: String] = [:], timeout: Double = 20) throws {
        try Self.prepare(process, arguments, wrapper: wrapper, env: env)
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        // Drained as it comes, so a chatty hub never blocks on a full pipe.
        err.fileHandleForReading.readabilityHandler = { [weak self] h in
            let chunk = h.availableData
            guard let self else { return }
            self.lock.lock()
            if chunk.isEmpty { h.readabilityHandler = nil }
            self.log += String(decoding: chunk, as: UTF8.self)
            if self.port == 0, let r = self.log.range(of: #"url=http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                self.port = Int(self.log[r].split(separator: ":").last!) ?? 0
            }
            self.lock.broadcast()
            self.lock.unlock()
        }
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        while port == 0 && process.isRunning {
            if !lock.wait(until: deadline) { break }
        }
        guard port > 0 else { throw TestClient.Failure.timeout("the hub to listen; its log: \(log)") }
    }

    /// What the hub has written to standard error so far.
    public var output: String { lock.withLock { log } }

    public var pid: Int32 { process.processIdentifier }

    /// Waits until the log contains `text` (false after `timeout` seconds or when the process ended).
    public func waitForLog(_ text: String, timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        while !log.contains(text) {
            if !process.isRunning || !lock.wait(until: deadline) { return log.contains(text) }
        }
        return true
    }

    /// Sends `signal` and waits for the process to end.
    public func stop(_ signal: Int32 = SIGTERM) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    deinit { stop(SIGKILL) }
}
