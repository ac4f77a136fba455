import HubCore
import XCTest

final class InternTableTests: XCTestCase {
    private func lookup(_ table: inout InternTable<Int>, _ name: String, made: inout [String]) -> (name: String, value: Int) {
        var name = name
        return name.withUTF8 { bytes in
            table.lookup(UnsafeRawBufferPointer(bytes)) { n in
                made.append(n)
                return n.count
            }
        }
    }

    /// Each name is made once and comes back equal with its value, across growth and past the
    /// limit (the table starts afresh).
    func testNamesAreMadeOnceAndKeptUpToTheLimit() {
        var table = InternTable<Int>(limit: 300)
        var made: [String] = []
        let names = (0..<200).map { "BTC-\($0)DEC24-50000-C" } + [""]
        for _ in 0..<3 {
            for name in names {
                let hit = lookup(&table, name, made: &made)
                XCTAssertEqual(hit.name, name)
                XCTAssertEqual(hit.value, name.utf8.count)
            }
        }
        XCTAssertEqual(made, names, "made on first sight only")
        XCTAssertEqual(table.count, names.count)
        for n in 0..<100 { _ = lookup(&table, "extra-\(n)", made: &made) }
        XCTAssertLessThanOrEqual(table.count, 300)
        XCTAssertEqual(lookup(&table, "extra-99", made: &made).value, 8)
        table.removeAll()
        XCTAssertEqual(table.count, 0)
    }
}
