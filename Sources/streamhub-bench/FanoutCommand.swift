import ArgumentParser
import Foundation
import Histogram
import HubServer

/// N WebSocket subscribers (libwebsockets, this process) against the hub (a child process)
/// publishing synthetic ticks through the whole pipeline at a target rate.
struct FanoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fanout", abstract: "Fan-out throughput and end-to-end latency.")

    @Option(help: "Subscriber connections.") var clients = 1000
    @Option(help: "Channels; subscriber i takes channel i % channels.") var channels = 1
    @Option(help: "Ticks per second published across all channels.") var rate = 1000.0
    @Option(help: "Seconds measured (after warm-up).") var duration = 10.0
    @Option(help: "Warm-up seconds.") var warmup = 2.0
    @Option(help: "Measure an already running server at this URL instead of starting one.") var url: String?
    @Option(help: "Channel name prefix subscribed to (with --url).") var channelPrefix = "ticker.synthetic.S"
    @Option(help: "Give the hub Redis for state and history (write-behind).") var redis: String?
    @Option(help: "Subscribers authenticate as users of this many roles with distinct property grants (0: anonymous).") var roleViews = 0
    @Flag(help: "Wide ticks (nine properties; implied by --role-views and --flag-split).") var wide = false
    @Option(help: "Every subscriber its own user; premium-data rolled out to this percentage of them (two flag-dependent views).") var flagSplit: Int?
    @Flag(help: "Usage analytics off in the hub (to measure what counting costs).") var noUsage = false
    @Option(help: "Percentage of subscribers that stop reading at the start of the warm-up (stalled clients); the rest are measured.")
    var stalledPercent = 0
    @Option(help: "Subscribers use this many distinct filters (`bid > -k`, which every tick passes: the cost of evaluating, not of dropping).")
    var filters = 0

    func validate() throws {
        guard (0...90).contains(stalledPercent) else { throw ValidationError("--stalled-percent must be 0–90") }
        guard filters >= 0 else { throw ValidationError("--filters must be 0 or more") }
    }

    func run() throws {
        let hub =
            url == nil
            ? try ChildHub(
                rate: rate, channels: channels, redis: redis, roleViews: roleViews, wide: wide || roleViews > 0 || flagSplit != nil, flagSplit: flagSplit,
                users: clients, usage: !noUsage) : nil
        defer { hub?.stop() }
        let target = url ?? "ws://127.0.0.1:\(hub!.port)/ws"
        let prefix = channelPrefix, channels = channels, filters = filters
        let tokens = hub?.tokens ?? []
        let load = try LoadClient(url: target, query: tokens.isEmpty ? nil : { i in "access_token=\(tokens[i % tokens.count])" }) { i in
            let filter = filters > 0 ? #","filter":{"property":"bid","op":">","value":-\#(i % filters + 1)}"# : ""
            return #"{"id":1,"op":"subscribe","channel":"\#(prefix)\#(i % channels)"\#(filter)}"#
        }
        let connected = load.open(clients)
        // Spread over the channels: each channel's subscribers are about `stalledPercent` stalled.
        let stalled = stalledPercent, perChannel = channels
        let isStalled: @Sendable (Int) -> Bool = { i in (i + (i / perChannel) * 31) % 100 < stalled }
        let r = load.measure(warmup: warmup, seconds: duration, stall: isStalled)
        let reading = (0..<clients).filter { !isStalled($0) }.count
        let mem = hub?.memory ?? (rss: 0, peak: 0)
        load.stop()
        let perSecond = Double(r.messages) / duration
        let h = r.latency
        let report: [String: Any] = [
            "clients": clients, "connected": connected, "closed": r.closed, "channels": channels, "rate": rate,
            "seconds": duration, "msgs": r.messages, "msgs_per_s": Int(perSecond), "bytes_per_s": Int(Double(r.bytes) / duration),
            "expected_msgs_per_s": Int(rate * Double(reading) / Double(channels)),
            "stalled_percent": stalledPercent, "filters": filters,
            "p50_us": h.valueAtPercentile(50), "p99_us": h.valueAtPercentile(99), "p999_us": h.valueAtPercentile(99.9),
            "max_us": h.max, "hub_rss_kib": mem.rss, "hub_peak_rss_kib": mem.peak, "redis": redis != nil,
            "role_views": roleViews, "wide": wide || roleViews > 0 || flagSplit != nil, "flag_split": flagSplit ?? -1, "usage": !noUsage,
        ]
        let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

/// Memory per connection: the hub's resident memory before and after N connections that
/// subscribe to one channel — quiet, or (`--rate`) publishing, which is when a permessage-deflate
/// connection's compressor comes to life.
struct IdleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "idle", abstract: "Hub memory per connection (idle, or with traffic and deflate).")

    @Option(help: "Connections.") var connections = 10_000
    @Option(help: "Ticks per second on the subscribed channel (0: quiet).") var rate = 0.0
    @Flag(help: "The hub accepts permessage-deflate (the load client offers it).") var deflate = false
    @Option(help: "With --deflate: the compressor's window bits.") var deflateWindowBits = HubConfig.Server().deflateWindowBits
    @Option(help: "With --deflate: the compressor's zlib memory level.") var deflateMemoryLevel = HubConfig.Server().deflateMemoryLevel

    func run() throws {
        let hub = try ChildHub(rate: rate, channels: 1, deflate: deflate ? (deflateWindowBits, deflateMemoryLevel) : nil)
        defer { hub.stop() }
        Thread.sleep(forTimeInterval: 1)
        let before = hub.memory.rss
        let load = try LoadClient(url: "ws://127.0.0.1:\(hub.port)/ws", deflate: deflate) { _ in #"{"id":1,"op":"subscribe","channel":"ticker.synthetic.S0"}"# }
        let connected = load.open(connections)
        Thread.sleep(forTimeInterval: 2)
        let after = hub.memory.rss
        load.stop()
        let per = connected > 0 ? Double(after - before) * 1024 / Double(connected) : 0
        let settings = deflate ? #""deflate":{"windowBits":\#(deflateWindowBits),"memoryLevel":\#(deflateMemoryLevel)},"# : #""deflate":null,"#
        print(
            #"{\#(settings)"rate":\#(rate),"connections":\#(connected),"hub_rss_before_kib":\#(before),"hub_rss_after_kib":\#(after),"bytes_per_connection":\#(Int(per))}"#
        )
    }
}
