import HubCache
import HubCore
import XCTest

/// The memory store against the history contract, and its embedded default (nothing kept).
final class MemoryHistoryStoreTests: XCTestCase {
    let contract = HistoryStoreContract(
        make: { MemoryHistoryStore(historyLength: $0) }, settle: { _ in }, reopen: { $0 }, close: { _ in })

    func testFetchReturnsExactlyTheRangeOrNothing() throws { try contract.fetchReturnsExactlyTheRangeOrNothing() }
    func testANewEpochStartsAfreshAndTrimmingKeepsTheNewest() throws { try contract.aNewEpochStartsAfreshAndTrimmingKeepsTheNewest() }
    func testRestoreReturnsEveryChannelWithEpochOffsetAndState() throws { try contract.restoreReturnsEveryChannelWithEpochOffsetAndState() }
    func testHealthCountsWritesAndFetches() throws { try contract.healthCountsWritesAndFetches() }

    func testTheEmbeddedDefaultKeepsNothingBeyondTheRings() {
        let m = MemoryHistoryStore()
        m.record(HistoryStoreContract.publication(offset: 1, price: 1))
        XCTAssertEqual(m.restore(), [])
        XCTAssertEqual(m.health.backend, "memory")
        XCTAssertNil(HistoryStoreContract.fetch(m, "trades.deribit.T", "e1", after: 0, through: 1) ?? nil)
    }
}
