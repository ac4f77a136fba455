import Foundation
import HubCore
import HubServer
import HubTesting
import Venues
import XCTest

/// `streamhub top` against a running hub: plain text once (`--once`, or not a terminal), and
/// full screen in a real pseudo-terminal (tmux) with its keys.
final class TopCommandTests: XCTestCase {
    var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("streamhub").path
    }

    /// Runs to completion; returns exit code, standard output and standard error.
    func run(_ args: [String]) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// A hub with the Deribit simulator, a subscriber on its tickers and a firing alert.
    func liveHub() throws -> (TestHub, TestClient) {
        let hub = try TestHub { c in
            DeribitVenue().enableSimulated(in: &c.feeds.venues)
            c.alerts.evaluateSeconds = 0.1
            var rule = AlertRule(name: "serve-any", kind: .stageLatency, threshold: 0)
            rule.stage = "serve"
            c.alerts.rules = [rule]
        }
        try hub.waitUntilLive("deribit", timeout: 15)
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.*"}"#)
        _ = try c.waitFor { $0["id"] as? Int == 1 }
        _ = try c.waitFor { ($0["ch"] as? String)?.hasPrefix("ticker.deribit.") == true && $0["snap"] == nil }
        return (hub, c)
    }

    func testOncePrintsEverySectionWithAnAPIKey() throws {
        let (hub, client) = try liveHub()
        defer {
            client.close()
            hub.stop()
        }
        try eventually(timeout: 5, "the alert fired") {
            ((try hub.request("GET", "/api/monitoring/alerts").json as? [String: Any])?["alerts"] as? [[String: Any]])?.first?["state"] as? String == "firing"
        }
        let (code, out, err) = try run(["top", "--url", "http://127.0.0.1:\(hub.port)", "--api-key", TestHub.adminKey, "--once"])
        XCTAssertEqual(code, 0, err)
        XCTAssertTrue(out.hasPrefix("streamhub top — http://127.0.0.1:\(hub.port)"), out)
        XCTAssertTrue(out.contains("connections 1"), out)
        XCTAssertTrue(out.contains("SOURCES (1, sorted by name"), out)
        let deribit = try XCTUnwrap(out.split(separator: "\n").first { $0.hasPrefix("  deribit ") })
        XCTAssertTrue(deribit.contains("live"), String(deribit))
        XCTAssertTrue(out.contains("STAGE LATENCY (last minute)"), out)
        XCTAssertTrue(out.split(separator: "\n").contains { $0.hasPrefix("  serve ") })
        XCTAssertTrue(out.contains("ALERTS (1 firing, 0 pending)"), out)
        XCTAssertTrue(out.contains("FIRING   serve-any"), out)
        XCTAssertTrue(out.contains("TOP CHANNELS (last hour"), out)
        XCTAssertTrue(out.contains("ticker.deribit.BTC-PERPETUAL"), out)
        XCTAssertFalse(out.contains("\u{1B}["), "plain text, no escape sequences")
    }

    func testWithoutATokenTheOpenPartsShowAndTheRestSaysWhy() throws {
        let hub = try TestHub()
        defer { hub.stop() }
        // Not a terminal: plain text once, even without --once.
        let (code, out, _) = try run(["top", "--url", "http://127.0.0.1:\(hub.port)/"])
        XCTAssertEqual(code, 0)
        XCTAssertTrue(out.contains("STAGE LATENCY (since start)"), out)
        XCTAssertTrue(out.contains("ALERTS — HTTP 401"), out)
        XCTAssertTrue(out.contains("TOP CHANNELS — HTTP 401"), out)
    }

    func testBadArgumentsAndAnUnreachableHub() throws {
        XCTAssertEqual(try run(["top", "--token", "a", "--api-key", "b"]).0, 2)
        XCTAssertEqual(try run(["top", "--url", "ftp://x"]).0, 2)
        XCTAssertEqual(try run(["top", "--interval", "0"]).0, 2)
        let port = try TestRedis.freePort()
        let (code, out, err) = try run(["top", "--url", "http://127.0.0.1:\(port)", "--once"])
        XCTAssertEqual(code, 1)
        XCTAssertTrue(out.contains("cannot read"), out)
        XCTAssertTrue(err.hasPrefix("streamhub: cannot read"), err)
        let refused = try run(["top", "--url", "http://127.0.0.1:\(port)", "--api-key", "shk_x_0123456789abcdef", "--once"])
        XCTAssertEqual(refused.0, 1)
    }

    /// Full screen in a real pseudo-terminal: tmux runs it, keys go in with send-keys, the
    /// screen comes back with capture-pane.
    func testFullScreenInATerminalSortsAndQuitsOnKeys() throws {
        let (hub, client) = try liveHub()
        defer {
            client.close()
            hub.stop()
        }
        let socket = "top-test-\(UUID().uuidString.prefix(8))"
        /// A tmux command on its own server (`-L socket`), spawned and reaped directly:
        /// Foundation's Process waits for its child's inherited pipe to close, which the tmux
        /// server that `new-session` forks never does. Output goes through a file.
        func tmux(_ args: [String], output: Bool = true) throws -> (Int32, String) {
            let outPath = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: outPath) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, output ? outPath : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            let argv: [UnsafeMutablePointer<CChar>?] = (["tmux", "-L", socket] + args).map { strdup($0) } + [nil]
            defer { for a in argv { free(a) } }
            var pid: pid_t = 0
            guard posix_spawn(&pid, "/usr/bin/tmux", &actions, nil, argv, environ) == 0 else { throw TopTestError.spawn }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let text = output ? ((try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "") : ""
            return ((status >> 8) & 0xff, text)
        }
        defer { _ = try? tmux(["kill-server"], output: false) }
        let command = "\(binary) top --url http://127.0.0.1:\(hub.port) --api-key \(TestHub.adminKey) --interval 0.3"
        XCTAssertEqual(try tmux(["new-session", "-d", "-x", "120", "-y", "40", command], output: false).0, 0)
        func screen() throws -> String { try tmux(["capture-pane", "-p"]).1 }
        try eventually(timeout: 15, "the first screen") { try screen().contains("SOURCES (1, sorted by name") }
        XCTAssertTrue(try screen().contains("q quit · s sort sources · c sort channels"))
        _ = try tmux(["send-keys", "s"], output: false)
        try eventually(timeout: 5, "sources sorted by rate") { try screen().contains("sorted by rate") }
        _ = try tmux(["send-keys", "c"], output: false)
        try eventually(timeout: 5, "channels sorted by bytes") { try screen().contains("sorted by bytes") }
        _ = try tmux(["send-keys", "q"], output: false)
        try eventually(timeout: 5, "top ended and the session with it") { try tmux(["has-session"], output: false).0 != 0 }
    }
}

enum TopTestError: Error { case spawn }
