import Foundation
import HubCore
import HubServer
import HubStore
import HubTesting
import Logging
import Venues
import XCTest

final class PropertySeedLoaderTests: XCTestCase {
    func testTheShippedDefinitionsLoadAndCoverEveryVenueField() throws {
        let defs = try PropertySeedLoader.load(directory: TestHub.propertiesDirectory)
        let registry = PropertyRegistry()
        try registry.load(defs)
        let transform = Transform(registry: registry, schemas: VenueRegistry.all.map(\.schema))
        XCTAssertEqual(transform.unregisteredMappings, [], "every venue's fields map to registered properties")
        for name in ["mid", "spread", "spreadBps", "microprice"] { XCTAssertTrue(registry.definition(name)?.isDerived ?? false, name) }
        // Seed sources of the mission: exchanges (ccxt names), Deribit options, prediction markets, sportsbook.
        for name in [
            "symbol", "price", "amount", "cost", "side", "fee", "bid", "ask", "last", "bidVolume", "askVolume", "baseVolume",
            "quoteVolume", "vwap", "strike", "expiry", "optionType", "delta", "gamma", "vega", "theta", "rho", "markIv", "bidIv",
            "askIv", "underlyingPrice", "markPrice", "openInterest", "question", "outcome", "size", "volume", "bestBid",
            "bestAsk", "yesBid", "yesAsk", "noBid", "noAsk", "lastPrice", "oddsDecimal", "oddsAmerican", "line",
            "bookmaker", "marketType", "event", "participant", "commenceTime",
        ] {
            XCTAssertNotNil(registry.definition(name), name)
        }
        XCTAssertEqual(registry.definition("delta")?.flag, "premium-data")
        XCTAssertEqual(registry.definition("delta")?.tier, .premium)
        let sources = Set(registry.matrix().map(\.source))
        XCTAssertTrue(sources.isSuperset(of: ["binance", "coinbase", "deribit", "polymarket", "kalshi", "orca", "derived"]))
    }

    private func errorFor(_ yaml: String) -> String? {
        do {
            _ = try PropertySeedLoader.parse(yaml, file: "props.yaml")
            return nil
        } catch {
            return error.description
        }
    }

    func testMalformedFilesNameTheFileAndKey() {
        XCTAssertEqual(
            errorFor("properties:\n  - name: p\n    type: decimal\n    description: d\n    tier: public\n    rules: {min: low}\n"),
            "props.yaml: properties[0].rules.min: expected a number")
        XCTAssertEqual(errorFor("properties:\n  - name: p\n    type: decimal\n    description: d\n"), "props.yaml: properties[0].tier: is required")
        XCTAssertTrue(
            errorFor("properties:\n  - name: p\n    type: decimal\n    description: d\n    tier: public\n    colour: red\n")?
                .hasPrefix("props.yaml: properties[0].colour: unknown key") ?? false)
        XCTAssertEqual(
            errorFor("properties:\n  - name: p\n    type: enum\n    description: d\n    tier: public\n"),
            "props.yaml: properties[0].rules.values: an enum property lists its values")
        XCTAssertTrue(errorFor("props: []\n")?.hasPrefix("props.yaml: props: unknown key") ?? false)
        XCTAssertTrue(errorFor("properties: [unclosed\n")?.hasPrefix("props.yaml: not valid YAML") ?? false, errorFor("properties: [unclosed\n") ?? "")
    }

    func testDirectoriesRejectDuplicatesAndDanglingLineageNamingTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("props-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = "properties:\n  - {name: p, type: decimal, description: d, tier: public}\n"
        try a.write(to: dir.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try "properties:\n  - {name: q, type: decimal, description: d, tier: public, derivedFrom: [p], formula: p, formulaVersion: 1}\n"
            .write(to: dir.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try PropertySeedLoader.load(directory: dir.path).map(\.name), ["p", "q"], "lineage across files")
        try a.write(to: dir.appendingPathComponent("c.yaml"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PropertySeedLoader.load(directory: dir.path)) {
            XCTAssertTrue("\($0)".hasSuffix("c.yaml: properties: 'p' is also defined in \(dir.appendingPathComponent("a.yaml").path)"), "\($0)")
        }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("c.yaml"))
        try "properties:\n  - {name: r, type: decimal, description: d, tier: public, derivedFrom: [zz], formula: zz, formulaVersion: 1}\n"
            .write(to: dir.appendingPathComponent("d.yaml"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PropertySeedLoader.load(directory: dir.path)) {
            XCTAssertTrue("\($0)".contains("d.yaml: derivedFrom[0]: property 'r': unknown property 'zz'"), "\($0)")
        }
        XCTAssertThrowsError(try PropertySeedLoader.load(directory: "/nonexistent"))
    }

    /// An existing store gets the definitions a newer version brings; what it holds stays as
    /// an admin left it.
    func testAnExistingStoreGetsNewDefinitionsAndKeepsItsOwn() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("seed-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try HubStore(dataDirectory: dir)
        try store.migrate()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let shipped = try PropertySeedLoader.load(directory: TestHub.propertiesDirectory)
        // An older version's store: everything but ORCA's reference data, and one definition an admin changed.
        var old = shipped.filter { !["sport", "league", "home", "away", "outcomeName"].contains($0.name) }
        let i = try XCTUnwrap(old.firstIndex { $0.name == "bid" })
        old[i].description = "changed by an admin"
        try store.insertProperties(old)
        let registry = try PropertySeedLoader.seeded(store: store, seedDirectory: TestHub.propertiesDirectory, logger: logger)
        XCTAssertNotNil(registry.definition("sport"), "added from the seed")
        XCTAssertEqual(registry.definition("bid")?.description, "changed by an admin", "the store's definition stands")
        XCTAssertEqual(try store.propertyCount(), shipped.count)
    }
}
