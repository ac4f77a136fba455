import Foundation
import HubServer
import HubTesting
import Venues
import XCTest

/// The Swift client as integrators take it: the example bot (`arb-bot`) run against a live hub,
/// and the package prepared for a scoped private registry (`swift package-registry publish
/// --dry-run`: its metadata and source archive).
final class SwiftClientPackagingTests: XCTestCase {
    func testTheExampleBotPrintsAnOpportunityOpeningAndClosing() throws {
        let hub = try TestHub {
            $0.feeds.venues.binance.enabled = true
            $0.feeds.venues.binance.simulate = true
            $0.feeds.venues.binance.feed.symbols = ["BTC/USDT"]
            $0.feeds.venues.coinbase.enabled = true
            $0.feeds.venues.coinbase.simulate = true
            $0.feeds.venues.coinbase.feed.symbols = ["BTC/USD"]
            $0.feeds.venues.coinbase.simulatorDislocationEverySeconds = 10
        }
        defer { hub.stop() }
        let bot = try HubProcess.binary.deletingLastPathComponent().appendingPathComponent("arb-bot")
        guard FileManager.default.isExecutableFile(atPath: bot.path) else {
            throw MissingPrerequisite("\(bot.path) not built (scripts/test builds every product)")
        }
        let p = Process()
        p.executableURL = bot
        p.arguments = ["0.001", "2"]
        p.environment = ProcessInfo.processInfo.environment.merging(["STREAMHUB_URL": "http://127.0.0.1:\(hub.port)", "STREAMHUB_API_KEY": TestHub.adminKey]) {
            $1
        }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // A watchdog: a bot that never prints is stopped, so the read below ends.
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) { if p.isRunning { p.terminate() } }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(p.terminationStatus, 0, String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        XCTAssertEqual(lines.first, "following arb.*.*")
        XCTAssertTrue(lines.count > 1 && lines[1].hasPrefix("open    arb.crypto.BTC-USD  edge "), "\(lines)")
        XCTAssertTrue(lines.count > 2 && (lines[2].hasPrefix("closed  arb.crypto.BTC-USD") || lines[2].hasPrefix("open    arb.crypto.BTC-USD")), "\(lines)")
    }

    /// The committed tree (`git archive HEAD`), as a registry would receive it.
    func testThePackageIsReadyForAScopedPrivateRegistry() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("registry-\(UUID().uuidString)")
        let source = tmp.appendingPathComponent("source"), scratch = tmp.appendingPathComponent("scratch")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let repo = TestHub.repository.path
        try run("/bin/sh", ["-c", "git -C '\(repo)' archive HEAD | tar -x -C '\(source.path)'"])
        let output = try run(
            "/usr/bin/env",
            [
                "swift", "package-registry", "publish", "streamhub.StreamHub", "1.0.0", "--url", "https://swift.registry.example.internal", "--dry-run",
                "--scratch-directory", scratch.path,
            ],
            in: source)
        XCTAssertTrue(output.contains("streamhub.StreamHub@1.0.0 was successfully prepared for publishing"), output)
        let archive = scratch.appendingPathComponent("streamhub.StreamHub-1.0.0.zip")
        let size = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: archive.path)[.size] as? Int)
        XCTAssertLessThan(size, 50 << 20, "the sources, not build products")
        let listing = try run("/usr/bin/python3", ["-c", "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))", archive.path])
        XCTAssertTrue(listing.contains("Sources/StreamHubClient/StreamHubClient.swift"), "the client's sources are in the archive")
        XCTAssertTrue(listing.contains("Package.swift"))
        XCTAssertFalse(listing.contains(".build/"))
        let metadata = try Data(contentsOf: source.appendingPathComponent("package-metadata.json"))
        XCTAssertNotNil((try JSONSerialization.jsonObject(with: metadata) as? [String: Any])?["description"], "registry metadata beside the package")
    }

    @discardableResult
    func run(_ tool: String, _ args: [String], in dir: URL? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        if let dir { p.currentDirectoryURL = dir }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestHub.RequestFailed(description: "\(tool) \(args.joined(separator: " ")): \(text)") }
        return text
    }
}
