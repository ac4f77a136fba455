import Foundation

/// A real Prometheus server (Debian's `prometheus`) on a free loopback port, scraping one
/// target every second with a bearer token, in a temporary directory; and `promtool`.
public final class TestPrometheus {
    public enum Failure: Error {
        case notInstalled
        case didNotStart(String)
        case query(String)
    }

    public let port: Int
    private let directory: String
    private var process: Process?

    /// Scrapes `http://127.0.0.1:<targetPort><path>` every second with `token`.
    public init(targetPort: Int, path: String = "/metrics", token: String) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/prometheus") else { throw Failure.notInstalled }
        port = try TestRedis.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("prometheus-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let config = """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: streamhub
                metrics_path: \(path)
                authorization:
                  credentials: \(token)
                static_configs:
                  - targets: ["127.0.0.1:\(targetPort)"]
            """
        try config.write(toFile: directory + "/prometheus.yml", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
        p.arguments = [
            "--config.file=\(directory)/prometheus.yml", "--storage.tsdb.path=\(directory)/data", "--web.listen-address=127.0.0.1:\(port)",
            "--log.level=warn",
        ]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        process = p
        do {
            try eventually(timeout: 30, "prometheus ready on \(port)") { (try? HTTPTestClient.get(port: port, path: "/-/ready"))?.status == 200 }
        } catch {
            shutdown()
            throw Failure.didNotStart("not ready on port \(port)")
        }
    }

    deinit { shutdown() }

    public func shutdown() {
        if let p = process, p.isRunning {
            p.terminate()
            p.waitUntilExit()
        }
        process = nil
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// An instant query through the HTTP API: each series' labels and value.
    public func query(_ expression: String) throws -> [(labels: [String: String], value: Double)] {
        let encoded = expression.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? expression
        let r = try HTTPTestClient.get(port: port, path: "/api/v1/query?query=\(encoded)")
        guard r.status == 200, let body = r.json as? [String: Any], body["status"] as? String == "success",
            let data = body["data"] as? [String: Any], let result = data["result"] as? [[String: Any]]
        else { throw Failure.query("\(r.status): \(r.text)") }
        return result.compactMap { series in
            guard let metric = series["metric"] as? [String: String], let v = series["value"] as? [Any], v.count == 2, let text = v[1] as? String,
                let value = Double(text)
            else { return nil }
            return (metric, value)
        }
    }

    /// `promtool check metrics` on an exposition: its exit status and what it printed.
    public static func check(metrics: String) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        p.arguments = ["check", "metrics"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = output
        try p.run()
        input.fileHandleForWriting.write(Data(metrics.utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }
}
