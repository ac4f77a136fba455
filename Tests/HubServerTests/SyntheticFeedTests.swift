import HubTesting
import XCTest

final class SyntheticFeedTests: XCTestCase {
    /// On the default loop: libuv (epoll).
    func testPublishesAtItsRateThroughThePipelineAcrossChannels() throws {
        try publishesInOrderAcrossChannels(eventLoop: nil)
    }

    /// The same hub on poll (`server.eventLoop: poll`, lws' own loop).
    func testTheHubServesOnPollToo() throws {
        try publishesInOrderAcrossChannels(eventLoop: "poll")
    }

    private func publishesInOrderAcrossChannels(eventLoop: String?) throws {
        let hub = try TestHub {
            $0.feeds.synthetic.enabled = true
            $0.feeds.synthetic.rate = 2000
            $0.feeds.synthetic.channels = 2
            if let eventLoop { $0.server.eventLoop = eventLoop }
        }
        defer { hub.stop() }
        XCTAssertEqual(hub.server.eventLibrary.rawValue, eventLoop ?? "libuv")
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.synthetic.*"}"#)
        _ = try c.waitFor { $0["id"] as? Int == 1 }
        var seen: [String: Int] = [:]
        while seen.count < 2 || seen.values.contains(where: { $0 < 20 }) {
            let m = try c.nextJSON()
            guard let ch = m["ch"] as? String, let off = m["off"] as? Int, m["snap"] == nil, let data = m["data"] as? [String: Any] else { continue }
            if let last = seen[ch] { XCTAssertEqual(off, last + 1, ch) }
            seen[ch] = off
            XCTAssertEqual(Set(data.keys), ["bid", "ask", "mid", "spread", "spreadBps"])
        }
        XCTAssertEqual(Set(seen.keys), ["ticker.synthetic.S0", "ticker.synthetic.S1"])
    }
}
