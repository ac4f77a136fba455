import Foundation
import HubCore
import HubServer
import HubTesting
import Venues
import XCTest

/// Every venue of the registry is complete: a usable id, a settings section the loader reads
/// and checks, and property definitions for every field it publishes.
final class VenueRegistryTests: XCTestCase {
    func testIdsAreDistinctChannelSegments() {
        let ids = VenueRegistry.ids
        XCTAssertEqual(Set(ids).count, ids.count)
        for id in ids {
            XCTAssertEqual((try? ChannelPattern(parsing: "ticker.\(id).X"))?.venue, id, id)
            XCTAssertEqual(id, id.lowercased())
            XCTAssertEqual(VenueRegistry.venue(id)?.id, id)
        }
    }

    /// Each field a venue's adapter emits maps to a property defined in the shipped definitions,
    /// in the files the venue names, with the venue among its sources (the type matrix and the
    /// properties API say who provides what from there).
    func testEveryFieldMapsToAPropertyOfTheVenuesFiles() throws {
        let dir = URL(fileURLWithPath: TestHub.propertiesDirectory)
        for venue in VenueRegistry.all {
            var own: [String: PropertyDefinition] = [:]
            for name in venue.propertiesFiles {
                let file = dir.appendingPathComponent(name).path
                XCTAssertTrue(FileManager.default.fileExists(atPath: file), "\(venue.id): \(name) is not in config/properties")
                for d in try PropertySeedLoader.parse(file: file) { own[d.name] = d }
            }
            XCTAssertEqual(venue.schema.source, venue.id)
            for field in venue.schema.fields {
                guard let def = own[field.property] else {
                    XCTFail("\(venue.id): \(field.venueName) → \(field.property) is not defined in \(venue.propertiesFiles)")
                    continue
                }
                XCTAssertTrue(def.sources.contains(venue.id), "\(venue.id): \(field.property) does not list it among its sources")
            }
        }
    }

    /// The loader knows every venue's section and nothing else under `feeds`.
    func testEverySectionIsReadAndUnknownOnesAreRefused() throws {
        let yaml = "auth: {jwtSecret: \(String(repeating: "k", count: 32))}\nfeeds:\n" + VenueRegistry.ids.map { "  \($0): {enabled: false}\n" }.joined()
        let c = try ConfigLoader.parse(yaml, venues: VenueRegistry.all)
        XCTAssertEqual(c.feeds.venues.configured, VenueRegistry.ids.sorted())
        XCTAssertThrowsError(try ConfigLoader.parse("feeds:\n  nasdaq: {enabled: true}\n", venues: VenueRegistry.all)) {
            XCTAssertTrue("\($0)".hasPrefix("feeds.nasdaq: unknown key"), "\($0)")
        }
    }

    /// A section whose keys are all commented out is the venue's defaults, as before.
    func testAnEmptySectionMeansTheDefaults() throws {
        let c = try ConfigLoader.parse(
            "auth: {jwtSecret: \(String(repeating: "k", count: 32))}\nfeeds:\n  deribit:\n  #  enabled: true\n", venues: VenueRegistry.all)
        XCTAssertEqual(c.feeds.venues.deribit, DeribitSettings())
    }
}
