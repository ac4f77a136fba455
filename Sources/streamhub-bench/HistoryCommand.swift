import ArgumentParser
import Foundation
import HubCache
import HubCore

/// Write-behind throughput: what `record` costs the loop thread, and how fast the writer
/// thread moves publications into Redis (pipelined HSET + XADD).
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Redis write-behind throughput.")

    @Option(help: "Redis URL (a scratch database: keys under the bench prefix are written).") var redis: String
    @Option(help: "Publications to write.") var publications = 200_000
    @Option(help: "Channels they are spread over.") var channels = 100

    func run() throws {
        let props = PropertyTable(["bid", "ask", "mid", "spread", "spreadBps"])
        let hub = Hub(properties: props)
        var samples: [StoredPublication] = []
        for c in 0..<channels {
            var t = Tick(source: "bench", instrument: "S\(c)", stream: .ticker, exchangeTime: 1, receiveTime: 2)
            for i in props.names.indices { t.set(PropertyID(UInt16(i)), .number(100 + Double(i) / 4)) }
            hub.publish(t)
        }
        for (i, channel) in hub.allChannels.enumerated() {
            let tick = channel.ring.tick(at: 1)!
            samples.append(
                StoredPublication(
                    channel: channel.name, epoch: "bench", offset: UInt64(i + 1), exchangeTime: 1, receiveTime: 2,
                    encoded: PublicationEncoder(properties: props).encodeFull(channel: channel, offset: 1, tick: tick)))
        }
        var config = RedisHistoryStoreConfig()
        config.keyPrefix = "streamhub-bench"
        config.maxPendingHistory = publications + 1
        let store = try RedisHistoryStore(url: redis, config: config)
        store.start()
        defer { store.stop() }
        // Offsets must rise per channel: give each channel its own sequence.
        var next = [UInt64](repeating: 1, count: channels)
        let epoch = "bench-\(MonotonicClock.nanoseconds())"
        let start = MonotonicClock.nanoseconds()
        for n in 0..<publications {
            let c = n % channels
            let s = samples[c]
            store.record(StoredPublication(channel: s.channel, epoch: epoch, offset: next[c], exchangeTime: 1, receiveTime: 2, encoded: s.encoded))
            next[c] += 1
        }
        let enqueued = MonotonicClock.nanoseconds()
        guard store.waitUntilFlushed(timeout: 600) else { throw ValidationError("Redis did not take the publications: \(store.health)") }
        let done = MonotonicClock.nanoseconds()
        let h = store.health
        print(String(format: "record (loop thread): %.0f ns per publication", Double(enqueued - start) / Double(publications)))
        print(
            String(
                format: "writer: %.0f publications/s into Redis (%d commands, %llu failed, %llu dropped)",
                Double(publications) / (Double(done - start) / 1e9), h.writes, h.failedWrites, h.droppedHistory))
    }

}
