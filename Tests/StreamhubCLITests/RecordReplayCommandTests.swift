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

    var binary: URL {
        get throws {
            let url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("streamhub")
            guard FileManager.default.isExecutableFile(atPath: url.path) else {
                throw MissingPrerequisite("\(url.path) not built (scripts/test builds every product first)")
            }
            return url
        }
    }

    /// Runs to completion; returns exit code, standard output and standard error.
    func run(_ args: [String]) throws -> (code: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = try binary
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(["STREAMHUB_JWT_SECRET": TestHub.jwtSecret]) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func config() throws -> String {
        let path = tmp.appendingPathComponent("c.yaml").path
        try """
        auth:
          jwtSecret: ${STREAMHUB_JWT_SECRET}
          rolesFile: \(TestHub.rolesFile)
        properties:
          seedDirectory: \(TestHub.propertiesDirectory)
        feeds:
          binance:
            enabled: true
            simulate: true
            symbols: [BTC/USDT, ETH/USDT]
            simulatorStepMilliseconds: 20
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
