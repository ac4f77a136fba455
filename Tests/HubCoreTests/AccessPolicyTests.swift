import HubCore
import XCTest

/// Policies compiled from role grants: channels (deny wins), tiers, properties, scopes, and
/// the no-escalation rule.
final class AccessPolicyTests: XCTestCase {
    let trader = Role(
        id: "trader",
        grants: Grants(
            channels: [ChannelRule(.allow, "*.*.*"), ChannelRule(.deny, "arb.*.*")], tiers: [.public], scopes: ["state:read"]))
    let greeks = Role(
        id: "greeks",
        grants: Grants(
            channels: [ChannelRule(.allow, "options.deribit.*")], properties: PropertyRules(allow: ["delta"]), scopes: []))
    let flagged = Role(id: "beta", grants: Grants(channels: [ChannelRule(.allow, "odds.*.*", flag: "sports")]))

    func key(_ s: String) -> ChannelKey {
        let p = try! ChannelPattern(parsing: s)
        return ChannelKey(stream: StreamKind(rawValue: p.stream!)!, source: p.venue!, instrument: p.instrument!)
    }

    func def(_ name: String, _ tier: PropertyTier, flag: String? = nil) -> PropertyDefinition {
        PropertyDefinition(name: name, type: .decimal, description: name, tier: tier, flag: flag)
    }

    func testChannelsDenyWinsAndPatternsFullyDeniedAreRefused() throws {
        let p = AccessPolicy(roles: [trader])
        XCTAssertTrue(p.allows(key("ticker.deribit.BTC")))
        XCTAssertFalse(p.allows(key("arb.deribit.BTC")))
        XCTAssertTrue(p.mayMatch(try ChannelPattern(parsing: "*.deribit.*")), "overlaps allowed channels")
        XCTAssertFalse(p.mayMatch(try ChannelPattern(parsing: "arb.*.*")), "wholly denied")
        XCTAssertFalse(p.mayMatch(try ChannelPattern(parsing: "arb.deribit.*")))
        // A union of roles: the deny of one still wins over the allow of another.
        let both = AccessPolicy(roles: [trader, Role(id: "all", grants: Grants(channels: [ChannelRule(.allow, "arb.*.*")]))])
        XCTAssertFalse(both.allows(key("arb.x.y")))
        XCTAssertEqual(both.roles, ["all", "trader"])
    }

    func testFlagsGateRulesAndProperties() {
        XCTAssertFalse(AccessPolicy(roles: [flagged]).allows(key("odds.orca.M1")))
        XCTAssertTrue(AccessPolicy(roles: [flagged], flags: ["sports"]).allows(key("odds.orca.M1")))
        let premium = Role(id: "p", grants: Grants(tiers: [.public, .premium]))
        XCTAssertFalse(AccessPolicy(roles: [premium]).allows(def("iv", .premium, flag: "premium-data")))
        XCTAssertTrue(AccessPolicy(roles: [premium], flags: ["premium-data"]).allows(def("iv", .premium, flag: "premium-data")))
    }

    func testPropertiesByTierAndByNameAndMasks() {
        let registry = PropertyRegistry()
        try? registry.load([def("bid", .public), def("delta", .premium), def("seq", .internal)])
        let p = AccessPolicy(roles: [trader, greeks])
        XCTAssertTrue(p.allows(def("bid", .public)))
        XCTAssertTrue(p.allows(def("delta", .premium)), "explicitly allowed by name")
        XCTAssertFalse(p.allows(def("seq", .internal)))
        XCTAssertEqual(p.mask(registry), PropertyMask([registry.id("bid")!, registry.id("delta")!]))
        let denied = AccessPolicy(roles: [Role(id: "a", grants: Grants(tiers: PropertyTier.allCases, properties: PropertyRules(deny: ["seq"])))])
        XCTAssertFalse(denied.allows(def("seq", .internal)))
        XCTAssertEqual(AccessPolicy.unrestricted.mask(registry), .all)
    }

    func testNobodyGrantsMoreThanTheyHold() {
        let p = AccessPolicy(roles: [trader])
        XCTAssertEqual(p.excess(of: Grants(channels: [ChannelRule(.allow, "ticker.deribit.*")], tiers: [.public], scopes: ["state:read"])), [])
        XCTAssertEqual(p.excess(of: Grants(scopes: ["users:write"])), ["scope users:write"])
        XCTAssertEqual(p.excess(of: Grants(tiers: [.premium])), ["tier premium"])
        XCTAssertEqual(p.excess(of: Grants(properties: PropertyRules(allow: ["delta"]))), ["property delta"])
        XCTAssertEqual(p.excess(of: Grants(channels: [ChannelRule(.allow, "*.*.*")])), ["channels arb.*.* (denied to you)"])
        XCTAssertEqual(p.excess(of: Grants(channels: [ChannelRule(.allow, "*.*.*"), ChannelRule(.deny, "arb.*.*")])), [], "keeps the deny")
        XCTAssertEqual(AccessPolicy(roles: [greeks]).excess(of: Grants(channels: [ChannelRule(.allow, "options.*.*")])), ["channels options.*.*"])
        XCTAssertEqual(AccessPolicy.unrestricted.excess(of: Grants(channels: [ChannelRule(.allow, "*.*.*")], tiers: PropertyTier.allCases, scopes: ["*"])), [])
    }

    func testGrantsCheckNamesTheField() {
        XCTAssertThrowsError(try Grants(channels: [ChannelRule(.allow, "a.b")]).check()) {
            XCTAssertEqual(($0 as? DefinitionError)?.field, "grants.channels[0]")
        }
        XCTAssertThrowsError(try Grants(scopes: ["users:delete"]).check()) { XCTAssertEqual(($0 as? DefinitionError)?.field, "grants.scopes[0]") }
        XCTAssertNoThrow(try trader.grants.check())
    }
}
