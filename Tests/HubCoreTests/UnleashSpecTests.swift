import Fixtures
import Foundation
import HubCore
import XCTest

/// Unleash's client specification (`Tests/Fixtures/unleash/specifications`): every file
/// of index.json, toggle and variant tests; prints passed/total per file.
final class UnleashSpecTests: XCTestCase {

    struct Spec: Decodable {
        let name: String
        let state: State
        let tests: [Test]?
        let variantTests: [VariantTest]?
    }

    /// A client-features document, or the delta API's events.
    struct State: Decodable {
        let set: FlagSet
        enum CodingKeys: String, CodingKey { case events }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if let events = try c.decodeIfPresent([FlagDeltaEvent].self, forKey: .events) {
                var s = FlagSet()
                for e in events { s.apply(e) }
                set = s
            } else {
                set = try FlagSet(from: decoder)
            }
        }
    }

    struct Context: Decodable {
        let context: FlagContext
        enum CodingKeys: String, CodingKey { case userId, sessionId, remoteAddress, environment, appName, currentTime, properties }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            var props: [String: String] = [:]
            if let raw = try c.decodeIfPresent([String: String?].self, forKey: .properties) {
                for (k, v) in raw { if let v { props[k] = v } }
            }
            context = FlagContext(
                userId: try c.decodeIfPresent(String.self, forKey: .userId), sessionId: try c.decodeIfPresent(String.self, forKey: .sessionId),
                remoteAddress: try c.decodeIfPresent(String.self, forKey: .remoteAddress),
                environment: try c.decodeIfPresent(String.self, forKey: .environment), appName: try c.decodeIfPresent(String.self, forKey: .appName),
                currentTime: try c.decodeIfPresent(String.self, forKey: .currentTime).flatMap(Self.date), properties: props)
        }
        static func date(_ s: String) -> Date? {
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let d = f.date(from: s) { return d }
            f.formatOptions = [.withInternetDateTime]
            return f.date(from: s)
        }
    }

    struct Test: Decodable {
        let description: String
        let context: Context
        let toggleName: String
        let expectedResult: Bool
    }

    struct ExpectedVariant: Decodable, Equatable {
        let name: String
        let payload: FlagVariant.Payload?
        let enabled: Bool
        // swift-format-ignore: AlwaysUseLowerCamelCase
        // The specification's key, decoded as it is spelled.
        let feature_enabled: Bool?
    }

    struct VariantTest: Decodable {
        let description: String
        let context: Context
        let toggleName: String
        let expectedResult: ExpectedVariant
    }

    func testEverySpecificationFilePasses() throws {
        let index = try Fixtures.data("unleash/specifications/index.json")
        let files = try JSONDecoder().decode([String].self, from: index)
        var report: [String] = []
        var allPassed = 0, allTotal = 0
        for file in files {
            let data = try Fixtures.data("unleash/specifications/\(file)")
            let spec = try JSONDecoder().decode(Spec.self, from: data)
            let eval = FlagEvaluator(spec.state.set)
            var passed = 0, total = 0
            for t in spec.tests ?? [] {
                total += 1
                let got = eval.isEnabled(t.toggleName, t.context.context)
                if got == t.expectedResult { passed += 1 } else { XCTFail("\(file): \(t.description): expected \(t.expectedResult), got \(got)") }
            }
            for t in spec.variantTests ?? [] {
                total += 1
                let v = eval.variant(t.toggleName, t.context.context)
                let got = ExpectedVariant(name: v.name, payload: v.payload, enabled: v.enabled, feature_enabled: v.featureEnabled)
                var want = t.expectedResult
                if want.feature_enabled == nil {
                    want = ExpectedVariant(name: want.name, payload: want.payload, enabled: want.enabled, feature_enabled: got.feature_enabled)
                }
                if got == want { passed += 1 } else { XCTFail("\(file): \(t.description): expected \(want), got \(got)") }
            }
            report.append("\(file): \(passed)/\(total)")
            allPassed += passed
            allTotal += total
        }
        print("Unleash client specification: \(allPassed)/\(allTotal)\n  " + report.joined(separator: "\n  "))
    }

    func testMurmurHashMatchesReferenceValues() {
        // Values from the reference implementation (murmurhash3js x86_32, seed 0).
        XCTAssertEqual(MurmurHash3.x86_32("", seed: 0), 0)
        XCTAssertEqual(MurmurHash3.x86_32("", seed: 1), 0x514E_28B7)
        XCTAssertEqual(MurmurHash3.x86_32("test", seed: 0), 0xBA6B_D213)
        XCTAssertEqual(MurmurHash3.x86_32("Hello, world!", seed: 1234), 0xFAF6_CDB3)
    }
}
