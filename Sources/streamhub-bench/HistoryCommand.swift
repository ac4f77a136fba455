import ArgumentParser
import Foundation
import HubCache
import HubCore

/// Write-behind throughput: what `record` costs the loop thread, how fast the writer thread
/// moves publications into Redis (pipelined HSET + XADD; with `--cluster` the fenced scripts
/// that also announce each one) and Redis' CPU per publication.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Redis write-behind throughput.")

    @Option(help: "Redis URL (a scratch database: keys under the bench prefix are written).") var redis: String
    @Option(help: "Publications to write.") var publications = 200_000
    @Option(help: "Channels they are spread over.") var channels = 100
    @Flag(help: "Write as a cluster node: each publication fenced by a lease and announced (SPUBLISH) to the other nodes.") var cluster = false

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
        let admin = try RedisConnection(url: redis)
        var fence: Fence?
        if cluster {
            let keys = ClusterKeys(prefix: config.keyPrefix)
            config.cluster = ClusterWriting(node: "bench", keys: keys)
            fence = Fence(lease: "bench", token: "bench/1")
            _ = try admin.command(["SET", keys.lease("bench"), "bench/1"])
        }
        let cpuBefore = try Self.redisCPUSeconds(admin)
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
            store.record(
                StoredPublication(
                    channel: s.channel, epoch: epoch, offset: next[c], exchangeTime: 1, receiveTime: 2, encoded: s.encoded, fence: fence,
                    startsEpoch: next[c] == 1))
            next[c] += 1
        }
        let enqueued = MonotonicClock.nanoseconds()
        guard store.waitUntilFlushed(timeout: 600) else { throw ValidationError("Redis did not take the publications: \(store.health)") }
        let done = MonotonicClock.nanoseconds()
        let h = store.health
        let redisCPU = try Self.redisCPUSeconds(admin) - cpuBefore
        print(String(format: "record (loop thread): %.0f ns per publication", Double(enqueued - start) / Double(publications)))
        print(
            String(
                format: "writer%@: %.0f publications/s into Redis (%d writes, %llu failed, %llu fenced, %llu dropped); Redis CPU %.1f µs per publication",
                cluster ? " (cluster: fenced + announced)" : "", Double(publications) / (Double(done - start) / 1e9), h.writes, h.failedWrites,
                h.fencedWrites, h.droppedHistory, redisCPU * 1e6 / Double(publications)))
    }

    /// Redis' own CPU time so far (`INFO cpu`: user + system).
    static func redisCPUSeconds(_ c: RedisConnection) throws -> Double {
        guard let info = try c.command(["INFO", "cpu"]).text else { return 0 }
        var total = 0.0
        for line in info.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: ":")
            if parts.count == 2, parts[0] == "used_cpu_user" || parts[0] == "used_cpu_sys" { total += Double(parts[1]) ?? 0 }
        }
        return total
    }

}
