import HubCore
import HubServer
import XCTest

final class ConfigLoaderTests: XCTestCase {
    private func error(_ yaml: String, env: [String: String] = [:]) -> String? {
        do {
            _ = try ConfigLoader.parse(yaml, environment: env)
            return nil
        } catch {
            return error.description
        }
    }

    func testEmptyFileMeansDefaults() throws {
        XCTAssertEqual(try ConfigLoader.parse(""), HubConfig())
        XCTAssertEqual(try ConfigLoader.parse("server: {}\n"), HubConfig())
    }

    func testValuesOverrideDefaultsAndEnvironmentFillsSecrets() throws {
        let c = try ConfigLoader.parse(
            """
            server: {port: 9000, host: 0.0.0.0}
            serve: {stateRingSize: 8, eventRingSize: 16}
            feeds:
              deribit:
                enabled: true
                instruments: [BTC-PERPETUAL]
                clientId: ${ID}
                clientSecret: "${SECRET:-dflt}"
                heartbeatSeconds: 15
              synthetic: {enabled: true, rate: 500, channels: 3}
            """, environment: ["ID": "abc"])
        XCTAssertEqual(c.server.port, 9000)
        XCTAssertEqual(c.server.host, "0.0.0.0")
        XCTAssertEqual(c.serve.stateRingSize, 8)
        XCTAssertEqual(c.feeds.deribit.feed.instruments, ["BTC-PERPETUAL"])
        XCTAssertEqual(c.feeds.deribit.feed.clientID, "abc")
        XCTAssertEqual(c.feeds.deribit.feed.clientSecret, "dflt")
        XCTAssertEqual(c.feeds.deribit.feed.staleAfter, 45)
        XCTAssertEqual(c.feeds.synthetic.channels, 3)
        let noCreds = try ConfigLoader.parse("feeds:\n  deribit:\n    clientId: ${X:-}\n    clientSecret: ${Y:-}\n")
        XCTAssertNil(noCreds.feeds.deribit.feed.clientID)
    }

    func testErrorsNameTheKeyPath() {
        XCTAssertEqual(error("server:\n  port: 70000\n"), "server.port: must be between 0 and 65535")
        XCTAssertEqual(error("server:\n  port: x\n"), "server.port: expected an integer")
        XCTAssertEqual(error("serve:\n  frameBytes: [1]\n"), "serve.frameBytes: expected a single value")
        XCTAssertTrue(error("feeds:\n  deribit:\n    nope: 1\n")?.hasPrefix("feeds.deribit.nope: unknown key") ?? false)
        XCTAssertTrue(error("top: 1\n")?.hasPrefix("top: unknown key") ?? false)
        XCTAssertEqual(error("feeds:\n  deribit:\n    clientId: ${MISSING}\n"), "feeds.deribit.clientId: environment variable MISSING is not set")
        XCTAssertEqual(error("feeds:\n  deribit:\n    clientId: ${OPEN\n"), "feeds.deribit.clientId: unterminated ${ in value")
        XCTAssertEqual(error("feeds:\n  deribit: {enabled: true, url: http://x}\n"), "feeds.deribit.url: must be a ws:// or wss:// URL")
        XCTAssertEqual(error("feeds:\n  deribit: {enabled: true, interval: raw}\n"), "feeds.deribit.interval: raw needs clientId and clientSecret")
        XCTAssertEqual(error("feeds:\n  deribit: {enabled: true, clientId: a}\n"), "feeds.deribit.clientSecret: clientId and clientSecret go together")
        XCTAssertEqual(error("feeds:\n  deribit: {enabled: true, heartbeatSeconds: 10, staleAfterSeconds: 5}\n"), "feeds.deribit.staleAfterSeconds: must exceed heartbeatSeconds")
        XCTAssertEqual(error("feeds:\n  synthetic: {enabled: true, rate: 0}\n"), "feeds.synthetic.rate: must be between 0 and 10000000")
        XCTAssertEqual(error("serve: {frameBytes: 65536, maxPendingBytes: 1024}\n"), "serve.maxPendingBytes: must be at least serve.frameBytes")
        XCTAssertTrue(error("- a\n- b\n")?.contains("expected") ?? false)
        XCTAssertEqual(error("redis:\n  url: http://x\n"), "redis.url: must be a redis:// URL (or empty for memory only)")
        XCTAssertEqual(error("redis:\n  url: redis://h\n  historyLength: 0\n"), "redis.historyLength: must be at least 1")
        XCTAssertEqual(error("serve:\n  historyMaxAgeSeconds: -1\n"), "serve.historyMaxAgeSeconds: must not be negative (0: no limit)")
        XCTAssertEqual(try ConfigLoader.parse("redis:\n  url: ${R:-}\n").redis.url, "")
        XCTAssertEqual(try ConfigLoader.parse("redis:\n  url: ${R:-}\n", environment: ["R": "redis://h:1/2"]).redis.url, "redis://h:1/2")
    }

    func testLoadReportsTheFile() {
        XCTAssertThrowsError(try ConfigLoader.load(path: "/nonexistent/c.yaml")) {
            XCTAssertEqual("\($0)", "/nonexistent/c.yaml: cannot read the file")
        }
    }
}
