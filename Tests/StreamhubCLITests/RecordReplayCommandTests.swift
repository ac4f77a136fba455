import Foundation
import HubTesting
import XCTest

/// `streamhub record` then `streamhub replay` of the recording, as an operator runs them.
final class RecordReplayCommandTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("streamhub-record-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: tmp) }

    func run(_ args: [String]) throws -> (code: Int32, out: String, err: String) { try HubProcess.run(args) }

    func config(venue: String = "binance", symbols: String = "[BTC/USDT, ETH/USDT]") throws -> String {
        let path = tmp.appendingPathComponent("c.yaml").path
        try """
        auth:
          jwtSecret: ${STREAMHUB_JWT_SECRET}
          rolesFile: \(TestHub.rolesFile)
          anonymous: true
        properties:
          seedDirectory: \(TestHub.propertiesDirectory)
        feeds:
          \(venue):
            enabled: true
            simulate: true
            symbols: \(symbols)
            simulatorStepMilliseconds: 20
        server:
          publicDir: null
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testRecordedBinanceSessionReplaysWithSnapshotsAndNoErrors() throws {
        let file = tmp.appendingPathComponent("binance.jsonl").path
        let rec = try run([
            "record", "--config", try config(), "--data-dir", tmp.appendingPathComponent("d1").path, "--venue", "binance", "--seconds", "2", "--out", file,
            "--log-level", "error",
        ])
        XCTAssertEqual(rec.code, 0, rec.err)
        XCTAssertTrue(rec.out.hasPrefix("recorded "), rec.out)
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(lines.first?.contains(#""type":"open""#) == true, "\(lines.first ?? "")")
        XCTAssertTrue(lines.contains { $0.contains(#""type":"http""#) && $0.contains("/api/v3/depth") }, "REST snapshots are recorded")

        let rep = try run(["replay", "--config", try config(), "--data-dir", tmp.appendingPathComponent("d2").path, "--venue", "binance", "--json", file])
        XCTAssertEqual(rep.code, 0, rep.err)
        let s = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(rep.out.utf8)) as? [String: Any], rep.out)
        XCTAssertGreaterThan(s["frames"] as? Int ?? 0, 20)
        XCTAssertEqual(s["httpResponses"] as? Int, 2, "one snapshot per symbol, matched to the adapter's requests")
        XCTAssertEqual(s["decodeErrors"] as? Int, 0)
        XCTAssertEqual(s["gaps"] as? Int, 0)
        XCTAssertEqual(s["quarantined"] as? Int, 0)
        // The recording ends when the recording hub shut down: the replayed feed ends down too.
        XCTAssertEqual(s["feedState"] as? String, "down")
        XCTAssertEqual(s["lastError"] as? String, "hub shutting down")
        XCTAssertGreaterThan(s["ticks"] as? Int ?? 0, 20)
        XCTAssertTrue(rep.err.contains("replay: 100%"), "progress on standard error: \(rep.err)")

        let text = try run(["replay", "--config", try config(), "--data-dir", tmp.appendingPathComponent("d3").path, "--venue", "binance", "--quiet", file])
        XCTAssertEqual(text.code, 0, text.err)
        XCTAssertTrue(text.out.contains("quarantined    0 values"), text.out)
    }

    /// A futures session from the futures simulator (ids that skip, `pu` chains, snapshots whose id
    /// lies inside the next event) replays with the futures rule: no decode error, no false gap.
    func testRecordedBinanceFuturesSessionReplaysWithoutFalseGaps() throws {
        let file = tmp.appendingPathComponent("futures.jsonl").path
        let config = try config(venue: "binance-futures", symbols: #"["BTC/USDT:USDT", "ETH/USDT:USDT"]"#)
        let rec = try run([
            "record", "--config", config, "--data-dir", tmp.appendingPathComponent("d1").path, "--venue", "binance-futures", "--seconds", "2",
            "--out", file, "--log-level", "error",
        ])
        XCTAssertEqual(rec.code, 0, rec.err)
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(lines.contains { $0.contains(#""type":"http""#) && $0.contains("/fapi/v1/depth") }, "futures snapshots are recorded")
        XCTAssertTrue(lines.contains { $0.contains("markPriceUpdate") }, "the mark price stream is recorded")
        let rep = try run(["replay", "--config", config, "--data-dir", tmp.appendingPathComponent("d2").path, "--venue", "binance-futures", "--json", file])
        XCTAssertEqual(rep.code, 0, rep.err)
        let s = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(rep.out.utf8)) as? [String: Any], rep.out)
        XCTAssertGreaterThan(s["frames"] as? Int ?? 0, 20)
        // A snapshot the stream's first event starts past is fetched again (no gap): at least one
        // answered snapshot and one synchronisation per symbol.
        let http = s["httpResponses"] as? Int ?? 0, resyncs = s["resyncs"] as? Int ?? 0
        XCTAssertGreaterThanOrEqual(http, 2)
        XCTAssertGreaterThanOrEqual(resyncs, 2)
        XCTAssertLessThanOrEqual(resyncs, http, "each synchronisation from an answered snapshot")
        XCTAssertEqual(s["decodeErrors"] as? Int, 0)
        XCTAssertEqual(s["gaps"] as? Int, 0)
        XCTAssertEqual(s["quarantined"] as? Int, 0)
    }

    /// The disk fills under `record`: recording stops with the error logged at once, the hub
    /// serves on, and `record` exits 1 naming the error. The recording goes to a 96 KiB tmpfs
    /// mounted in a mount namespace of its own (`unshare`: no root needed, nothing left behind).
    func testAFullDiskStopsTheRecordingNotTheHub() throws {
        let disk = tmp.appendingPathComponent("small-disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        let mount = [
            "/usr/bin/unshare", "--user", "--map-root-user", "--mount", "/bin/sh", "-c", #"mount -t tmpfs -o size=96k tmpfs "$0" && exec "$@""#, disk.path,
        ]
        guard (try? HubProcess.run(["--help"], wrapper: mount))?.code == 0 else {
            throw MissingPrerequisite("unshare cannot mount a tmpfs here (user namespaces: sysctl kernel.unprivileged_userns_clone=1)")
        }
        let hub = try HubProcess(
            [
                "record", "--config", try config(), "--data-dir", tmp.appendingPathComponent("d").path, "--venue", "binance", "--out",
                disk.appendingPathComponent("binance.jsonl").path, "--log-level", "info",
            ], wrapper: mount)
        XCTAssertTrue(hub.waitForLog("recording stopped", timeout: 30), "the full disk is reported while recording: \(hub.output)")
        XCTAssertTrue(hub.output.contains("No space left on device"), hub.output)

        // The hub serves on: fresh ticks after the failure, and a healthy status.
        let c = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws")
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.binance.BTC/USDT"}"#)
        XCTAssertNotNil(try c.waitFor { $0["id"] as? Int == 1 }["result"])
        let before = try c.waitFor(timeout: 10) { $0["ch"] as? String == "ticker.binance.BTC/USDT" }["off"] as? Int ?? 0
        let after = try c.waitFor(timeout: 10) { $0["ch"] as? String == "ticker.binance.BTC/USDT" && $0["snap"] == nil }["off"] as? Int ?? 0
        XCTAssertGreaterThan(after, before, "live ticks after the recording stopped")
        XCTAssertEqual(try HTTPTestClient.request("GET", port: hub.port, path: "/healthz").object["status"] as? String, "ok")

        hub.stop()
        XCTAssertEqual(hub.process.terminationStatus, 1, "record ends with code 1: the recording is incomplete")
        XCTAssertTrue(hub.output.contains("recording stopped"), hub.output)
    }

    func testBadArgumentsExitWithCode2() throws {
        let unknown = try run(["replay", "--venue", "nasdaq", "x.jsonl"])
        XCTAssertEqual(unknown.code, 2)
        XCTAssertTrue(unknown.err.contains("--venue must be one of"), unknown.err)
        let missing = try run(["replay", "--config", try config(), "--data-dir", tmp.path, "--venue", "orca", tmp.appendingPathComponent("absent.jsonl").path])
        XCTAssertEqual(missing.code, 2)
        XCTAssertTrue(missing.err.contains("cannot read the file"), missing.err)
        XCTAssertEqual(try run(["record", "--venue", "orca"]).code, 2, "--out is required")
        XCTAssertEqual(try run(["record", "--venue", "orca", "--out", "x", "--seconds", "-1"]).code, 2)
        // An existing recording is kept unless --force.
        let existing = tmp.appendingPathComponent("kept.jsonl").path
        try "keep me".write(toFile: existing, atomically: true, encoding: .utf8)
        let kept = try run([
            "record", "--config", try config(), "--data-dir", tmp.path, "--venue", "binance", "--seconds", "1", "--out", existing, "--log-level", "error",
        ])
        XCTAssertEqual(kept.code, 1)
        XCTAssertTrue(kept.err.contains("exists (--force replaces it)"), kept.err)
        XCTAssertEqual(try String(contentsOfFile: existing, encoding: .utf8), "keep me")
    }
}
