import Foundation

/// The benchmark hub as a child process (`streamhub-bench hub …`), with its memory readable.
final class ChildHub {
    let process = Process()
    let port: Int

    /// Tokens of the users `--role-views` created (one per distinct view).
    private(set) var tokens: [String] = []

    init(
        rate: Double, channels: Int, redis: String? = nil, roleViews: Int = 0, wide: Bool = false, flagSplit: Int? = nil, users: Int = 0, usage: Bool = true,
        deflate: (windowBits: Int, memoryLevel: Int)? = nil
    ) throws {
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let tokensFile = FileManager.default.temporaryDirectory.appendingPathComponent("bench-tokens-\(getpid()).json").path
        process.arguments =
            ["hub", "--rate", "\(rate)", "--channels", "\(channels)"] + (redis.map { ["--redis", $0] } ?? [])
            + (wide ? ["--wide"] : []) + (roleViews > 0 ? ["--role-views", "\(roleViews)", "--tokens-file", tokensFile] : [])
            + (flagSplit.map { ["--flag-split", "\($0)", "--users", "\(users)", "--tokens-file", tokensFile] } ?? []) + (usage ? [] : ["--no-usage"])
            + (deflate.map { ["--deflate", "--deflate-window-bits", "\($0.windowBits)", "--deflate-memory-level", "\($0.memoryLevel)"] } ?? [])
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line = ""
        while !line.contains("\n") {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { break }
            line += String(decoding: d, as: UTF8.self)
        }
        guard line.hasPrefix("ready "), let p = Int(line.dropFirst(6).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw BenchError("the hub did not start: \(line)")
        }
        port = p
        if roleViews > 0 || flagSplit != nil {
            let data = try Data(contentsOf: URL(fileURLWithPath: tokensFile))
            tokens = try JSONSerialization.jsonObject(with: data) as? [String] ?? []
            try? FileManager.default.removeItem(atPath: tokensFile)
        }
    }

    /// Resident and peak resident memory in KiB (from /proc).
    var memory: (rss: Int, peak: Int) { ProcessMemory.read(pid: process.processIdentifier) }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

enum ProcessMemory {
    static func read(pid: Int32) -> (rss: Int, peak: Int) {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (0, 0) }
        func value(_ key: String) -> Int {
            for line in text.split(separator: "\n") where line.hasPrefix(key) {
                return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
            }
            return 0
        }
        return (value("VmRSS:"), value("VmHWM:"))
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
