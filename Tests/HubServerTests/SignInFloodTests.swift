import Foundation
import HubTesting
import XCTest

/// Sign-in floods: a hundred concurrent guesses are counted before any password is hashed, so
/// no more than the limit get through to the hash, and the flood throttles its own address, not
/// the user signing in from another.
final class SignInFloodTests: XCTestCase {
    var hub: TestHub!
    override func setUpWithError() throws { hub = try TestHub() }  // limits: 5 per user and address, 20 per address
    override func tearDown() { hub.stop() }

    private func statuses(_ responses: [HTTPTestClient.Response]) -> [Int: Int] {
        responses.reduce(into: [:]) { $0[$1.status, default: 0] += 1 }
    }

    func testConcurrentWrongPasswordsAreCountedBeforeHashing() throws {
        let body = #"{"username":"flo","password":"flo's long password"}"#
        XCTAssertEqual(try hub.request("POST", "/api/users", #"{"username":"flo","password":"flo's long password","roles":["viewer"]}"#).status, 201)
        let wrong = Data(#"{"username":"flo","password":"not her password"}"#.utf8)
        let flood = try HTTPTestClient.concurrent(
            100, "POST", port: hub.port, path: "/api/auth/login", headers: ["Content-Type": "application/json"], body: wrong)
        XCTAssertEqual(statuses(flood), [401: 5, 429: 95], "only the limit reaches the password hash")
        XCTAssertTrue(flood.filter { $0.status == 429 }.allSatisfy { Int($0.headers["retry-after"] ?? "") ?? 0 > 0 })

        // The flooding address waits; the user signs in from another address.
        XCTAssertEqual(try hub.request("POST", "/api/auth/login", body, token: nil).status, 429)
        let elsewhere = try hub.request("POST", "/api/auth/login", body, token: nil, from: "127.0.0.2")
        XCTAssertEqual(elsewhere.status, 200, elsewhere.text)
    }

    func testConcurrentWrongAPIKeysAreCountedBeforeTheStoreIsRead() throws {
        let user = try hub.createUser(roles: ["viewer"])
        let made = try hub.request("POST", "/api/users/\(user.id)/keys", #"{"name":"bot"}"#)
        let key = try XCTUnwrap(made.object["key"] as? String)
        let id = key.split(separator: "_")[1]
        let wrong = Data(#"{"apiKey":"shk_\#(id)_wrongwrongwrongwrongwrong"}"#.utf8)
        let flood = try HTTPTestClient.concurrent(
            60, "POST", port: hub.port, path: "/api/auth/token", headers: ["Content-Type": "application/json"], body: wrong)
        XCTAssertEqual(statuses(flood), [401: 5, 429: 55])
        XCTAssertEqual(try hub.request("POST", "/api/auth/token", #"{"apiKey":"\#(key)"}"#, token: nil, from: "127.0.0.3").status, 200)
    }

    func testTheAddressLimitHoldsAcrossUsernames() throws {
        // 30 different usernames from one address: 20 reach the hash, the rest wait.
        let answers = try (0..<30).map { i in
            try hub.request("POST", "/api/auth/login", #"{"username":"user\#(i)","password":"whatever at all"}"#, token: nil)
        }
        XCTAssertEqual(statuses(answers), [401: 20, 429: 10])
        XCTAssertEqual(
            try hub.request("POST", "/api/auth/login", #"{"username":"user0","password":"whatever at all"}"#, token: nil, from: "127.0.0.2").status, 401)
    }
}
