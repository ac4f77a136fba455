import Fixtures
import Foundation
import HubCore
import Venues
import XCTest

/// The Binance adapter's rules: depth synchronisation with REST snapshots (the documented
/// procedure), gaps, and the recorded session replayed through it.
final class BinanceFeedTests: XCTestCase {
    func update(_ first: UInt64, _ last: UInt64, bid: Double? = nil, ask: Double? = nil, qty: Double = 1) -> BinanceMessage.DepthUpdate {
        .init(
            symbol: "X", first: first, last: last, bids: bid.map { [PriceLevel(price: $0, amount: qty)] } ?? [],
            asks: ask.map { [PriceLevel(price: $0, amount: qty)] } ?? [], time: 0)
    }

    func testSnapshotSynchronisationFollowsTheDocumentedProcedure() {
        var s = BinanceDepthSync()
        XCTAssertEqual(s.apply(update(100, 102, bid: 9)), .buffered)
        XCTAssertEqual(s.apply(update(103, 104, bid: 10)), .buffered)
        XCTAssertEqual(s.apply(update(105, 105, ask: 11)), .buffered)
        // Snapshot at 103: event 100–102 is dropped, 103–104 straddles 104, 105 follows.
        let outcome = s.snapshot(BinanceDepthSnapshot(lastUpdateId: 103, bids: [PriceLevel(price: 8, amount: 5)], asks: [PriceLevel(price: 12, amount: 5)]))
        XCTAssertEqual(outcome, .synchronised(replayed: 2))
        XCTAssertEqual(s.state, .synced)
        XCTAssertEqual(s.lastUpdateId, 105)
        XCTAssertEqual(s.book.bids.map(\.price), [10, 8])
        XCTAssertEqual(s.book.asks.map(\.price), [11, 12])
        XCTAssertEqual(s.apply(update(104, 105, bid: 1)), .stale, "already in the book")
        XCTAssertEqual(s.apply(update(106, 106, bid: 10, qty: 0)), .applied, "quantity 0 removes the level")
        XCTAssertEqual(s.book.bids.map(\.price), [8])
        // A hole: 107 never came.
        XCTAssertEqual(s.apply(update(108, 109, bid: 9)), .gap(expected: 107, got: 108))
        XCTAssertEqual(s.state, .awaitingSnapshot)
        XCTAssertTrue(s.book.bids.isEmpty, "the book is dropped, not served stale")
        XCTAssertEqual(s.buffered, 1, "the event after the hole waits for the new snapshot")
        XCTAssertEqual(s.snapshot(BinanceDepthSnapshot(lastUpdateId: 109, bids: [], asks: [])), .synchronised(replayed: 0))
    }

    func testAnEventStraddlingAFreshSnapshotIsApplied() {
        // The snapshot came back before any event: the first live one may reach back past it.
        var s = BinanceDepthSync()
        XCTAssertEqual(s.snapshot(BinanceDepthSnapshot(lastUpdateId: 500, bids: [PriceLevel(price: 1, amount: 1)], asks: [])), .synchronised(replayed: 0))
        XCTAssertEqual(s.apply(update(498, 503, bid: 2)), .applied)
        XCTAssertEqual(s.lastUpdateId, 503)
        XCTAssertEqual(s.apply(update(504, 504)), .applied)
        XCTAssertEqual(s.apply(update(506, 507)), .gap(expected: 505, got: 506))
    }

    /// The snapshot came back before the stream's first event, and that event starts past it:
    /// the snapshot is too old for this stream — fetched again, no gap counted.
    func testAFirstLiveEventPastTheSnapshotRefetchesRatherThanCountsAGap() {
        var s = BinanceDepthSync()
        XCTAssertEqual(s.snapshot(BinanceDepthSnapshot(lastUpdateId: 500, bids: [], asks: [])), .synchronised(replayed: 0))
        guard case .refetch = s.apply(update(503, 504)) else { return XCTFail("must refetch") }
        XCTAssertEqual(s.buffered, 1)
        XCTAssertEqual(s.snapshot(BinanceDepthSnapshot(lastUpdateId: 502, bids: [], asks: [])), .synchronised(replayed: 1))
        XCTAssertEqual(s.apply(update(506, 507)), .gap(expected: 505, got: 506), "after an event is applied, a hole is a gap")
    }

    func testASnapshotOlderThanTheBufferIsRefetched() {
        var s = BinanceDepthSync()
        _ = s.apply(update(200, 201))
        guard case .refetch = s.snapshot(BinanceDepthSnapshot(lastUpdateId: 150, bids: [], asks: [])) else { return XCTFail("must refetch") }
        XCTAssertEqual(s.state, .awaitingSnapshot)
        XCTAssertEqual(s.snapshot(BinanceDepthSnapshot(lastUpdateId: 199, bids: [], asks: [])), .synchronised(replayed: 1))
    }

    /// Replays cryptofeed's recorded Binance session (WebSocket frames and the REST snapshots
    /// it fetched, in time order) through the adapter.
    func testRecordedSessionRebuildsConsistentBooks() throws {
        let ws = try Fixtures.text("captures/BINANCE.ws.1.0"), http = try Fixtures.text("captures/BINANCE.http.0.0")
        var lines = (ws.split(separator: "\n") + http.split(separator: "\n")).compactMap(CaptureLine.init)
        lines.sort { $0.time < $1.time }

        var config = BinanceFeedConfig()
        config.symbols = ["NKN/USDT", "BLZ/ETH", "LRC/BTC", "RUNE/EUR"]
        let feed = BinanceFeed(config: config)
        var tags: [String: String] = [:]  // symbol → fetch tag
        func record(_ actions: [FeedAction]) {
            for case .fetch(let url, let tag) in actions { tags[String(url.split(separator: "=")[1].split(separator: "&")[0])] = tag }
        }
        record(feed.connected(now: 1))
        var books: [String: [RawEvent]] = [:]
        var tickers = 0, trades = 0, frames = 0
        let emit: (RawEvent) -> Void = { e in
            switch e.stream {
            case .book: books[e.instrument, default: []].append(e)
            case .ticker: tickers += 1
            case .trades: trades += 1
            default: break
            }
        }
        for line in lines {
            switch line {
            case .received(_, let payload):
                frames += 1
                var bytes = Array(payload.utf8)
                record(bytes.withUnsafeMutableBytes { feed.received(UnsafeRawBufferPointer($0), now: 2, wallMicros: 0, emit: emit) })
            case .http(let url, _, let body):
                let symbol = String(url.split(separator: "=")[1].split(separator: "&")[0])
                let tag = try XCTUnwrap(tags[symbol], "the feed asked for \(symbol)")
                record(feed.fetched(tag: tag, .response(status: 200, body: Array(body.utf8)), now: 3, wallMicros: 0, emit: emit))
            default:
                break
            }
        }
        XCTAssertEqual(frames, 265)
        XCTAssertEqual(feed.status.decodeErrors, 0, "every frame decodes")
        XCTAssertEqual(feed.status.gaps, 0)
        XCTAssertEqual(feed.resyncing, [], "all four books synchronised")
        XCTAssertEqual(feed.status.state, .live)
        XCTAssertEqual(Set(books.keys), ["NKN/USDT", "BLZ/ETH", "LRC/BTC", "RUNE/EUR"])
        for (symbol, events) in books {
            // Updates in order, and never a crossed book.
            let seqs = events.compactMap(\.sequence)
            XCTAssertEqual(seqs, seqs.sorted(), symbol)
            XCTAssertEqual(Set(seqs).count, seqs.count, symbol)
            for e in events {
                guard case .levels(let bids) = e.fields[0].value, case .levels(let asks) = e.fields[1].value else { return XCTFail("levels") }
                XCTAssertEqual(bids.map(\.price), bids.map(\.price).sorted(by: >), symbol)
                XCTAssertEqual(asks.map(\.price), asks.map(\.price).sorted(), symbol)
                if let b = bids.first, let a = asks.first { XCTAssertLessThan(b.price, a.price, "\(symbol) crossed at \(e.sequence)") }
                XCTAssertEqual(bids.count, 10, symbol)
            }
        }
        XCTAssertGreaterThan(books["NKN/USDT"]?.count ?? 0, 100)
        XCTAssertEqual(tickers, 84)
        XCTAssertEqual(trades, 2)
        XCTAssertEqual(feed.book("NKNUSDT")?.isCrossed, false)
    }

    /// One quiet symbol (no depth event, no snapshot yet) does not hold the source in
    /// `connecting` while the others flow: it is listed as waiting, and only past the deadline
    /// does the source turn `degraded`.
    func testAQuietSymbolWaitsWithoutHoldingTheSourceBack() throws {
        var config = BinanceFeedConfig()
        config.symbols = ["NKN/USDT", "QUIET/USDT"]
        config.syncDeadlineSeconds = 30
        let feed = BinanceFeed(config: config)
        var tags: [String: String] = [:]
        for case .fetch(let url, let tag) in feed.connected(now: 1) { tags[String(url.split(separator: "=")[1].split(separator: "&")[0])] = tag }
        XCTAssertEqual(feed.status.state, .connecting)
        XCTAssertEqual(feed.status.waiting, ["NKN/USDT", "QUIET/USDT"])
        var reply = Array(#"{"result":null,"id":1}"#.utf8)
        _ = reply.withUnsafeMutableBytes { feed.received(UnsafeRawBufferPointer($0), now: 1_000_000_000, wallMicros: 0) { _ in } }
        XCTAssertEqual(feed.status.state, .connecting, "a reply is not market data")
        var bytes = Array(
            #"{"stream":"nknusdt@depth@100ms","data":{"e":"depthUpdate","E":1633998512068,"s":"NKNUSDT","U":499869750,"u":499869752,"b":[["0.35130000","6195.00000000"]],"a":[["0.35200000","100.00000000"]]}}"#
                .utf8)
        _ = bytes.withUnsafeMutableBytes { feed.received(UnsafeRawBufferPointer($0), now: 2_000_000_000, wallMicros: 0) { _ in } }
        let snapshot = #"{"lastUpdateId":499869749,"bids":[["0.35000000","10.00000000"]],"asks":[["0.35300000","10.00000000"]]}"#
        _ = feed.fetched(tag: try XCTUnwrap(tags["NKNUSDT"]), .response(status: 200, body: Array(snapshot.utf8)), now: 2_100_000_000, wallMicros: 0) { _ in }
        XCTAssertEqual(feed.status.state, .live, "the stream flows; one symbol still waits")
        XCTAssertEqual(feed.status.waiting, ["QUIET/USDT"])
        XCTAssertEqual(feed.resyncing, ["QUIETUSDT"])
        _ = feed.fetched(tag: try XCTUnwrap(tags["QUIETUSDT"]), .response(status: 429, body: []), now: 3_000_000_000, wallMicros: 0) { _ in }
        _ = feed.timer(now: 20_000_000_000)
        XCTAssertEqual(feed.status.state, .live, "within the deadline")
        _ = feed.timer(now: 32_000_000_000)
        XCTAssertEqual(feed.status.state, .degraded, "unsynchronised past syncDeadlineSeconds")
        let quiet = #"{"lastUpdateId":7,"bids":[],"asks":[["1.00000000","1.00000000"]]}"#
        _ = feed.fetched(tag: try XCTUnwrap(tags["QUIETUSDT"]), .response(status: 200, body: Array(quiet.utf8)), now: 33_000_000_000, wallMicros: 0) { _ in }
        XCTAssertEqual(feed.status.state, .live)
        XCTAssertEqual(feed.status.waiting, [])
    }
}
