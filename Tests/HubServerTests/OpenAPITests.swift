import Foundation
import HubTesting
import XCTest

/// `GET /api/openapi.json`: the OpenAPI 3.1 description, built from the route table. Every
/// route is in it with its access rule, and the committed docs/openapi.json is the same
/// document (Tests/api/check_openapi.py validates it and runs schemathesis against a hub).
final class OpenAPITests: XCTestCase {
    var hub: TestHub!

    override func setUpWithError() throws { hub = try TestHub() }
    override func tearDown() { hub?.stop() }

    func testEveryRouteIsDescribedWithTheScopeItNeeds() throws {
        let served = try HTTPTestClient.get(port: hub.port, path: "/api/openapi.json")
        XCTAssertEqual(served.status, 200, "open: no token needed")
        let doc = try XCTUnwrap(served.json as? [String: Any])
        XCTAssertEqual(doc["openapi"] as? String, "3.1.0")
        let paths = try XCTUnwrap(doc["paths"] as? [String: [String: Any]])
        let table = hub.sync { s in s.routeTable }
        XCTAssertEqual(paths.values.map(\.count).reduce(0, +), table.count, "one operation per route, no more")
        var operationIDs: Set<String> = []
        for (method, path, access) in table {
            let openAPIPath = path.split(separator: "/").map { $0.hasPrefix(":") || $0.hasPrefix("*") ? "{\($0.dropFirst())}" : String($0) }
                .reduce("") { $0 + "/" + $1 }
            let op = try XCTUnwrap(paths[openAPIPath]?[method.lowercased()] as? [String: Any], "\(method) \(path) is not described")
            XCTAssertEqual(op["x-streamhub-access"] as? String, access, "\(method) \(path)")
            XCTAssertTrue(operationIDs.insert(op["operationId"] as? String ?? "").inserted, "\(method) \(path): operationId repeated")
            let responses = try XCTUnwrap(op["responses"] as? [String: Any])
            XCTAssertTrue(responses.keys.contains { $0.hasPrefix("2") }, "\(method) \(path) documents its success")
            XCTAssertNotNil(responses["500"], "\(method) \(path)")
            let security = try XCTUnwrap(op["security"] as? [[String: [String]]], "\(method) \(path)")
            if access == "open" {
                XCTAssertTrue(security.isEmpty || security.contains { $0.isEmpty }, "\(method) \(path) needs no token")
            } else {
                XCTAssertNotNil(responses["401"], "\(method) \(path)")
                if access.contains(":") {
                    XCTAssertEqual(security, [["bearer": [access]]], "\(method) \(path): the scope it needs")
                    XCTAssertNotNil(responses["403"], "\(method) \(path)")
                }
            }
            // Path parameters are declared; a body route documents its body and 413.
            for name in path.split(separator: "/").filter({ $0.hasPrefix(":") || $0.hasPrefix("*") }) {
                let parameters = op["parameters"] as? [[String: Any]] ?? []
                XCTAssertTrue(parameters.contains { $0["name"] as? String == String(name.dropFirst()) && $0["in"] as? String == "path" }, "\(path)")
            }
            if op["requestBody"] != nil { XCTAssertNotNil(responses["413"], "\(method) \(path)") }
        }
        // Error bodies and the objects referenced are in the components.
        let schemas = try XCTUnwrap((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let text = served.text
        let components = try XCTUnwrap(doc["components"] as? [String: [String: Any]])
        for kind in ["schemas", "responses"] {
            for ref in Set(text.components(separatedBy: "#/components/\(kind)/").dropFirst().map { String($0.prefix { $0 != "\"" }) }) {
                XCTAssertNotNil(components[kind]?[ref], "\(kind) \(ref) is referenced but not defined")
            }
        }
        XCTAssertNotNil(schemas["Error"])
    }

    func testTheCommittedDescriptionIsTheServedOne() throws {
        let committed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/openapi.json")
        let served = try HTTPTestClient.get(port: hub.port, path: "/api/openapi.json").body
        XCTAssertTrue(
            try Data(contentsOf: committed) == served,
            "docs/openapi.json is stale: refresh it with `.build/api-tools/bin/python Tests/api/check_openapi.py --write` (scripts/test makes the venv)")
    }

    func testAResourceAnswersOtherMethodsWith405AndAllow() throws {
        let options = try hub.request("OPTIONS", "/api/features/export")
        XCTAssertEqual(options.status, 405)
        XCTAssertEqual(options.headers["allow"], "GET, HEAD", "the export, not also the flag named `export`")
        XCTAssertEqual(try hub.request("PUT", "/api/features/export", "{}").status, 405)
        let users = try hub.request("PATCH", "/api/users/1", "{}")
        XCTAssertEqual(users.status, 405)
        XCTAssertEqual(users.headers["allow"], "GET, PUT, HEAD")
        // A trailing slash (or a path libwebsockets cut at an encoded newline) names no route.
        XCTAssertEqual(try hub.request("GET", "/api/features/").status, 404)
        XCTAssertEqual(try hub.request("GET", "/api/features/%0A").status, 404)
        XCTAssertEqual(try hub.request("GET", "/api/features").status, 200)
    }

    /// Found by schemathesis: an answer sent before a body was read (OPTIONS with a body) left
    /// libwebsockets completing that body for ever on the next request of the connection.
    func testABodyOnAnyMethodLeavesTheConnectionUsable() throws {
        let body = #"{"channel":"x","data":{"a":1}}"#
        let r = try HTTPTestClient.keepAlive(
            port: hub.port,
            requests: [
                ("OPTIONS", "/api/publish", body), ("DELETE", "/api/publish", body), ("GET", "/healthz", body), ("GET", "/healthz", nil),
            ])
        XCTAssertEqual(r.map(\.status), [405, 405, 200, 200])
        XCTAssertEqual(try HTTPTestClient.get(port: hub.port, path: "/healthz").status, 200, "the loop still answers")
    }
}
