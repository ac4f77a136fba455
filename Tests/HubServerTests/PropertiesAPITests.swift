import Foundation
import HubCore
import HubTesting
import XCTest

/// `/api/properties…` end to end over HTTP, persistence across a restart, live effect on the
/// pipeline and on projections.
final class PropertiesAPITests: XCTestCase {
    var hub: TestHub!
    var dataDir: String!

    override func setUpWithError() throws {
        dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("props-api-\(UUID().uuidString)").path
        hub = try TestHub(dataDirectory: dataDir)
    }

    override func tearDown() {
        hub.stop()
        try? FileManager.default.removeItem(atPath: dataDir)
    }

    private func request(_ method: String, _ path: String, _ body: String? = nil) throws -> HTTPTestClient.Response {
        try hub.request(method, path, body)
    }

    private func error(_ r: HTTPTestClient.Response) -> [String: Any] { ((r.json as? [String: Any])?["error"] as? [String: Any]) ?? [:] }

    func testListAndDetailWithLineage() throws {
        let list = try request("GET", "/api/properties")
        XCTAssertEqual(list.status, 200)
        let obj = try XCTUnwrap(list.json as? [String: Any])
        XCTAssertGreaterThan(obj["count"] as? Int ?? 0, 60)
        let names = (obj["properties"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        XCTAssertEqual(names, names.sorted())

        let spreadBps = try XCTUnwrap(try request("GET", "/api/properties/spreadBps").json as? [String: Any])
        let lineage = try XCTUnwrap(spreadBps["lineage"] as? [String: Any], "\(spreadBps)")
        XCTAssertEqual(lineage["upstream"] as? [String], ["spread", "mid", "bid", "ask"])
        XCTAssertEqual(lineage["formulaVersion"] as? Int, 1)
        let bid = try XCTUnwrap(try request("GET", "/api/properties/bid").json as? [String: Any])
        XCTAssertEqual(
            (bid["lineage"] as? [String: Any])?["downstream"] as? [String],
            ["basis", "bidVenue", "edge", "legs", "microprice", "mid", "spread", "annualisedBasis", "active", "firstSeen", "lastSeen", "spreadBps"])
        XCTAssertEqual((bid["property"] as? [String: Any])?["type"] as? String, "decimal")

        let missing = try request("GET", "/api/properties/nope")
        XCTAssertEqual(missing.status, 404)
        XCTAssertEqual(error(missing)["code"] as? String, "not_found")
    }

    func testMatrixAsJSONAndCSV() throws {
        let json = try XCTUnwrap(try request("GET", "/api/properties/matrix").json as? [String: Any])
        XCTAssertTrue((json["sources"] as? [String] ?? []).contains("deribit"))
        let cells = json["cells"] as? [[String: String]] ?? []
        XCTAssertTrue(cells.contains(["source": "deribit", "property": "delta", "type": "decimal"]))
        let csv = try request("GET", "/api/properties/matrix?format=csv")
        XCTAssertEqual(csv.headers["content-type"], "text/csv")
        let lines = csv.text.split(separator: "\n")
        XCTAssertEqual(lines.first, "source,property,type")
        XCTAssertTrue(lines.contains("orca,oddsAmerican,integer"))
        XCTAssertEqual(try request("GET", "/api/properties/matrix?format=xml").status, 400)
    }

    func testCreateIsValidatedPersistedAndEffectiveWithoutRestart() throws {
        let body =
            #"{"name":"fairValue","type":"decimal","unit":"USD","description":"A model price.","tier":"premium","derivedFrom":["mid"],"formula":"mid","formulaVersion":1,"rules":{"min":0}}"#
        let created = try request("POST", "/api/properties", body)
        XCTAssertEqual(created.status, 201, created.text)
        XCTAssertEqual(((created.json as? [String: Any])?["property"] as? [String: Any])?["name"] as? String, "fairValue")
        XCTAssertEqual(try request("POST", "/api/properties", body).status, 409)
        // Usable at once: a projection may name it.
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.X","fields":["fairValue","bid"]}"#)
        XCTAssertNotNil(try c.nextJSON()["result"])
        // Persisted: a restart on the same data directory still has it.
        hub.stop()
        hub = try TestHub(dataDirectory: dataDir)
        XCTAssertEqual(try request("GET", "/api/properties/fairValue").status, 200)
        let downstream = (try request("GET", "/api/properties/mid").json as? [String: Any]).flatMap {
            ($0["lineage"] as? [String: Any])?["downstream"] as? [String]
        }
        XCTAssertEqual(downstream, ["annualisedBasis", "fairValue", "spreadBps"])
    }

    func testBadBodiesNameTheField() throws {
        let cases: [(String?, Int, String?)] = [
            (nil, 400, nil),
            ("not json", 400, nil),
            ("[1]", 400, nil),
            (#"{"type":"decimal","description":"d","tier":"public"}"#, 400, "name"),
            (#"{"name":"x","type":"float","description":"d","tier":"public"}"#, 400, "type"),
            (#"{"name":"x","type":"decimal","description":"d","tier":"public","rules":{"min":"zero"}}"#, 400, "rules.min"),
            (#"{"name":"x","type":"decimal","description":"d","tier":"public","extra":1}"#, 400, "extra"),
            (#"{"name":"x y","type":"decimal","description":"d","tier":"public"}"#, 400, "name"),
            (
                #"{"name":"x","type":"decimal","description":"d","tier":"public","derivedFrom":["ghost"],"formula":"g","formulaVersion":1}"#, 400,
                "derivedFrom[0]"
            ),
            (#"{"name":"bid","type":"decimal","description":"d","tier":"public"}"#, 409, "name"),
        ]
        for (body, status, field) in cases {
            let r = try request("POST", "/api/properties", body)
            XCTAssertEqual(r.status, status, body ?? "no body")
            XCTAssertEqual(error(r)["field"] as? String, field, body ?? "no body")
            XCTAssertFalse((error(r)["message"] as? String ?? "").isEmpty)
        }
    }

    func testUpdateChangesRulesLiveAndRejectsBadChanges() throws {
        // Tighten bid to at most 10: a tick above it is quarantined from now on.
        let put = try request(
            "PUT", "/api/properties/bid", #"{"type":"decimal","description":"Best bid.","tier":"public","sources":["deribit"],"rules":{"min":0,"max":10}}"#)
        XCTAssertEqual(put.status, 200, put.text)
        XCTAssertEqual((((put.json as? [String: Any])?["property"] as? [String: Any])?["rules"] as? [String: Any])?["max"] as? Double, 10)
        hub.inject([TickFactory.ticker("Q", bid: 50, ask: 60)])
        let q = try XCTUnwrap(try request("GET", "/api/properties/quarantine").json as? [String: Any])
        XCTAssertEqual(((q["bySource"] as? [String: Any])?["deribit"] as? [String: Any])?["bid"] as? Int, 1)
        let recent = try XCTUnwrap((q["recent"] as? [[String: Any]])?.first)
        XCTAssertEqual(recent["property"] as? String, "bid")
        XCTAssertEqual(recent["venueField"] as? String, "best_bid_price")
        XCTAssertEqual(recent["reason"] as? String, "50.0 is above the maximum 10.0")
        XCTAssertEqual(recent["instrument"] as? String, "Q")

        XCTAssertEqual(try request("PUT", "/api/properties/ghost", #"{"type":"decimal","description":"d","tier":"public"}"#).status, 404)
        XCTAssertEqual(
            error(try request("PUT", "/api/properties/bid", #"{"name":"ask","type":"decimal","description":"d","tier":"public"}"#))["field"] as? String, "name")
        let cycle = try request(
            "PUT", "/api/properties/mid", #"{"type":"decimal","description":"d","tier":"public","derivedFrom":["spreadBps"],"formula":"x","formulaVersion":2}"#)
        XCTAssertEqual(cycle.status, 400)
        XCTAssertEqual(error(cycle)["field"] as? String, "derivedFrom")
        XCTAssertEqual(try request("DELETE", "/api/properties/bid").status, 405)
    }
}
