import Foundation
import HubCore
import XCTest

/// RFC 3339 date-times as flag date constraints use them, parsed without ICU.
final class InternetDateTimeTests: XCTestCase {
    func testInstantsMatchAnIndependentParser() {
        // Expected values from Python's datetime.fromisoformat(…).timestamp().
        let cases: [(String, Double)] = [
            ("1970-01-01T00:00:00Z", 0), ("2022-01-22T13:00:00.000+02:00", 1_642_849_200), ("2000-02-29T23:59:59.5Z", 951_868_799.5),
            ("1969-12-31T23:59:59Z", -1), ("2024-12-31T23:59:59-05:30", 1_735_709_399), ("2024-12-31t23:59:59z", 1_735_689_599),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(InternetDateTime.parse(text)?.timeIntervalSince1970 ?? .nan, expected, accuracy: 1e-6, text)
        }
    }

    func testTheInputThatCrashedICUParsesAndLongFractionsAreCut() throws {
        let long = try XCTUnwrap(InternetDateTime.parse("2022-01-22T14:00:00.00022222222222222222222222222222222222222+02:00"))
        XCTAssertEqual(long.timeIntervalSince1970, 1_642_852_800.000222222, accuracy: 1e-7)
    }

    func testMalformedOrOutOfRangeTextIsNil() {
        for text in [
            "", "2022-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2022-13-01T00:00:00Z", "2022-01-22T24:00:00Z", "2022-01-22T13:60:00Z",
            "2022-01-22 13:00:00Z", "2022-01-22T13:00:00", "2022-01-22T13:00:00.Z", "2022-01-22T13:00:00+2:00", "2022-01-22T13:00:00+02:00x",
            "２０２２-01-22T13:00:00Z", "2022-01-22T13:00:00." + String(repeating: "9", count: 100) + "Z",
        ] {
            XCTAssertNil(InternetDateTime.parse(text), text)
        }
    }
}
