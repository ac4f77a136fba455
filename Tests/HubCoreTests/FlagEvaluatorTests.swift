import Foundation
import HubCore
import XCTest

/// StreamHub's additions to Unleash evaluation (roles) and the pieces the spec touches lightly.
final class FlagEvaluatorTests: XCTestCase {
    func testUserWithRoleStrategyAndRolesConstraint() {
        let set = FlagSet(features: [
            FeatureFlag(name: "beta", enabled: true, strategies: [FlagStrategy(name: "userWithRole", parameters: ["roles": "premium, analyst"])]),
            FeatureFlag(
                name: "desk", enabled: true,
                strategies: [
                    FlagStrategy(name: "default", constraints: [FlagConstraint(contextName: "roles", operator: "IN", values: ["trader"])])
                ]),
            FeatureFlag(
                name: "not-viewers", enabled: true,
                strategies: [
                    FlagStrategy(name: "default", constraints: [FlagConstraint(contextName: "roles", operator: "NOT_IN", values: ["viewer"])])
                ]),
        ])
        let e = FlagEvaluator(set)
        XCTAssertTrue(e.isEnabled("beta", FlagContext(roles: ["viewer", "analyst"])))
        XCTAssertFalse(e.isEnabled("beta", FlagContext(roles: ["viewer"])))
        XCTAssertFalse(e.isEnabled("beta", FlagContext()))
        XCTAssertTrue(e.isEnabled("desk", FlagContext(roles: ["trader"])))
        XCTAssertFalse(e.isEnabled("desk", FlagContext(roles: ["viewer"])))
        XCTAssertFalse(e.isEnabled("not-viewers", FlagContext(roles: ["trader", "viewer"])))
        XCTAssertTrue(e.isEnabled("not-viewers", FlagContext(roles: ["trader"])))
        XCTAssertEqual(e.enabledFlags(FlagContext(roles: ["premium", "trader"])), ["beta", "desk", "not-viewers"])
    }

    func testRolloutIsStableAndSplitsAsThePercentageSays() {
        let half = FlagSet(features: [
            FeatureFlag(
                name: "half", enabled: true,
                strategies: [
                    FlagStrategy(name: "flexibleRollout", parameters: ["rollout": "50", "stickiness": "userId", "groupId": "half"])
                ])
        ])
        let e = FlagEvaluator(half)
        let on = (0..<10_000).filter { e.isEnabled("half", FlagContext(userId: "u\($0)")) }.count
        XCTAssertEqual(Double(on) / 10_000, 0.5, accuracy: 0.03)
        XCTAssertEqual(e.isEnabled("half", FlagContext(userId: "u1")), e.isEnabled("half", FlagContext(userId: "u1")))
        // normalized = murmur3("half:<id>") % 100 + 1; enabled when ≤ 50.
        for id in ["a", "b", "c", "42"] {
            XCTAssertEqual(e.isEnabled("half", FlagContext(userId: id)), MurmurHash3.normalized(id, groupId: "half") <= 50)
        }
        XCTAssertFalse(e.isEnabled("half", FlagContext()), "no userId: no stickiness value")
    }

    func testAddressesAndVersions() {
        XCTAssertTrue(IPRange("10.0.0.0/8")!.contains("10.1.2.3"))
        XCTAssertFalse(IPRange("10.0.0.0/8")!.contains("11.0.0.1"))
        XCTAssertTrue(IPRange("10.0.0.0/8")!.contains("::ffff:10.9.9.9"), "IPv4-mapped IPv6")
        XCTAssertTrue(IPRange("0.0.0.0/0")!.contains("1.2.3.4"))
        XCTAssertFalse(IPRange("2001:db8::/32")!.contains("10.0.0.1"))
        XCTAssertNil(IPRange("10.0.0.0/33"))
        XCTAssertNil(IPRange("nonsense"))
        XCTAssertLessThan(SemanticVersion("1.0.0-alpha")!, SemanticVersion("1.0.0-alpha.1")!)
        XCTAssertLessThan(SemanticVersion("1.0.0-alpha.1")!, SemanticVersion("1.0.0-alpha.beta")!)
        XCTAssertLessThan(SemanticVersion("1.0.0-rc.1")!, SemanticVersion("1.0.0")!)
        XCTAssertEqual(SemanticVersion("1.0.0+build.5")!, SemanticVersion("1.0.0")!)
        XCTAssertNil(SemanticVersion("01.0.0"))
        XCTAssertNil(SemanticVersion("1.0"))
    }

    func testClientFeaturesJSONRoundTripsWithLooseParameters() throws {
        let json =
            #"{"version":1,"features":[{"name":"f","enabled":true,"strategies":[{"name":"flexibleRollout","parameters":{"rollout":50,"groupId":"f"}}]}],"segments":[{"id":1,"constraints":[{"contextName":"appName","operator":"IN","values":["a"]}]}]}"#
        let set = try JSONDecoder().decode(FlagSet.self, from: Data(json.utf8))
        XCTAssertEqual(set.features[0].strategies[0].parameters["rollout"], "50")
        XCTAssertEqual(set.segments[0].constraints[0].values, ["a"])
        let again = try JSONDecoder().decode(FlagSet.self, from: try JSONEncoder().encode(set))
        XCTAssertEqual(again, set)
    }
}
