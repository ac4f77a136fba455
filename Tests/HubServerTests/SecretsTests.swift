import Foundation
import HubCache
import HubCore
import HubStore
import HubTesting
import Logging
import Venues
import WebSocketLoop
import XCTest

@testable import HubServer

/// Credentials stay out of recordings, errors and descriptions; unexpected failures reach
/// clients as `internal` with no detail; files that hold secrets are owner-only.
final class SecretsTests: XCTestCase {
    func testRedactionBlanksTheNamedStringFieldsOnly() {
        func redact(_ s: String, _ fields: [String]) -> String {
            String(decoding: Array(s.utf8).withUnsafeBytes { JSONRedaction.redact($0, fields: fields) }, as: UTF8.self)
        }
        XCTAssertEqual(
            redact(#"{"method":"public/auth","params":{"grant_type":"client_credentials","client_id":"id1","client_secret":"s3cr\"et"}}"#, ["client_secret"]),
            #"{"method":"public/auth","params":{"grant_type":"client_credentials","client_id":"id1","client_secret":"***"}}"#)
        XCTAssertEqual(
            redact(#"{"result":{"access_token" : "a.b.c","refresh_token":"r","expires_in":900}}"#, ["access_token", "refresh_token"]),
            #"{"result":{"access_token" : "***","refresh_token":"***","expires_in":900}}"#)
        XCTAssertEqual(
            redact(#"{"x":"client_secret","y":1}"#, ["client_secret"]), #"{"x":"client_secret","y":1}"#, "a value that names the field is not a field")
        XCTAssertEqual(redact("PING", ["client_secret"]), "PING")
    }

    /// A Deribit session with credentials, recorded: the login's secret and the tokens it is
    /// answered with are blanked; the file is owner-only.
    func testRecordingsCarryNoCredentials() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rec-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var sc = DeribitSimulatorConfig()
        sc.clientID = "acct-7"
        sc.clientSecret = "very-secret-0123"
        sc.stepMilliseconds = 50
        let sim = try DeribitSimulator(config: sc)
        sim.start()
        defer { sim.stop() }
        let hub = try TestHub {
            $0.feeds.venues.deribit.enabled = true
            $0.feeds.venues.deribit.url = sim.url
            $0.feeds.venues.deribit.feed.clientID = "acct-7"
            $0.feeds.venues.deribit.feed.clientSecret = "very-secret-0123"
            $0.feeds.venues.deribit.feed.optionCurrencies = []
        } beforeStart: {
            try $0.record(to: path)
        }
        try hub.waitUntilLive("deribit")
        hub.stop()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.contains("public/auth"), "the login was recorded")
        XCTAssertTrue(text.contains(#"\"client_secret\":\"***\""#), "blanked")
        XCTAssertFalse(text.contains("very-secret-0123"), "the secret never reaches the recording")
        XCTAssertTrue(text.contains("token_type"), "the login's answer was recorded")
        XCTAssertFalse(text.contains("sim-access") || text.contains("sim-refresh"), "nor the tokens the venue answered with")
        let mode = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        XCTAssertEqual(mode & 0o777, 0o600)
    }

    func testURLErrorsAndDescriptionsShowNoCredentials() {
        XCTAssertThrowsError(try RedisURL(parsing: "redis://:hunter2@cache:0/1")) { XCTAssertFalse("\($0)".contains("hunter2"), "\($0)") }
        XCTAssertThrowsError(try RedisURL(parsing: "rediss://:hunter2@cache")) { XCTAssertFalse("\($0)".contains("hunter2"), "\($0)") }
        let u = try? RedisURL(parsing: "redis://:hunter2@cache:6380/1")
        var dumped = ""
        dump(u, to: &dumped)
        XCTAssertFalse(dumped.contains("hunter2"), dumped)
        XCTAssertFalse("\(String(describing: u))".contains("hunter2"))
        XCTAssertThrowsError(try WebSocketURL(parsing: "wss://user:pw@venue.example:99999/ws?token=abc")) {
            XCTAssertFalse("\($0)".contains("pw@"), "\($0)")
            XCTAssertFalse("\($0)".contains("token=abc"), "\($0)")
        }
    }

    func testUnexpectedStoreFailuresAreInternalWithoutDetail() {
        let logger = Logger(label: "test")
        let e = StoreGateway.httpError(StoreError.io("SQL logic error in SELECT digest FROM api_key"), logger: logger)
        XCTAssertEqual(e.status, 500)
        XCTAssertEqual(e.code, "internal")
        XCTAssertEqual(e.message, "internal error")
        XCTAssertEqual(StoreGateway.httpError(StoreError.duplicate("user 'ann'"), logger: logger).status, 409, "expected failures keep their status")
    }

    func testABodyErrorNotWrittenForClientsSaysNothingOfItself() {
        struct Leaky: Decodable {
            init(from decoder: Decoder) throws { throw NSError(domain: "/srv/streamhub/data/streamhub.sqlite", code: 7) }
        }
        XCTAssertThrowsError(try RequestBody.decode(Leaky.self, from: Data("{}".utf8))) { error in
            let f = error as! RequestBody.Failure
            XCTAssertEqual(f.message, "the body could not be decoded")
        }
    }
}
