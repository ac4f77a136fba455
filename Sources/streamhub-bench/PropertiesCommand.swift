import ArgumentParser
import Foundation
import HubCore
import HubServer
import Venues
import Workloads

/// Property validation speed and the cost of serialising one publication for 1 vs N views.
struct PropertiesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "properties", abstract: "Validation values/s; serialisation per distinct view.")

    @Option(help: "Capture file (cryptofeed line format).") var capture = "Tests/Fixtures/captures/DERIBIT.ws.1.0"
    @Option(help: "Property definitions.") var properties = "config/properties"
    @Option(help: "Seconds per measurement.") var seconds = 2.0
    @Option(parsing: .upToNextOption, help: "View counts to compare.") var views: [Int] = [1, 50]

    func run() throws {
        guard let text = try? String(contentsOfFile: capture, encoding: .utf8) else { throw ValidationError("cannot read --capture \(capture)") }
        let registry = PropertyRegistry()
        try registry.load(try PropertySeedLoader.load(directory: properties))
        let transform = Transform(registry: registry, schemas: [DeribitField.schema])
        let enrich = Enrich(properties: registry.table)

        // The capture's ticks, transformed and enriched once: realistic values and fields.
        let feed = DeribitFeed(config: DeribitFeedConfig())
        _ = feed.connected(now: 0)
        var ticks: [Tick] = []
        for line in text.split(separator: "\n") where !line.contains(" <- ") && !line.contains(" <-> ") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let frame = Array(line[line.index(after: colon)...].drop { $0 == " " }.utf8)
            _ = frame.withUnsafeBytes { b in
                feed.received(b, now: 1, wallMicros: 0) { e in
                    if var t = transform.transform(e) {
                        enrich.enrich(&t)
                        ticks.append(t)
                    }
                }
            }
        }
        let values = ticks.flatMap(\.fields)
        print("sample: \(ticks.count) ticks, \(values.count) values")

        var problems = 0
        let validated = PipelineCommand.loop(seconds) {
            for f in values where registry.problem(f.id, f.value) != nil { problems += 1 }
            return values.count
        }
        print(String(format: "validation: %12.0f values/s (%.1f ns per value)", validated, 1e9 / validated))

        let hub = Hub(properties: registry.table)
        let channel =
            hub.allChannels.first
            ?? {
                hub.publish(ticks[0])
                return hub.allChannels[0]
            }()
        let encoder = PublicationEncoder(properties: registry.table)
        let projections = ViewWorkload.projections(registry.table, count: views.max() ?? 1)
        let masks = projections.map { names in names.isEmpty ? PropertyMask.all : PropertyMask(names.compactMap { registry.table.id($0) }) }
        // What serving does: the full view once, every other view spliced from it.
        for n in views {
            var bytes = 0
            let perSecond = PipelineCommand.loop(seconds) {
                for t in ticks {
                    let full = encoder.encodeFull(channel: channel, offset: 1, tick: t)
                    bytes &+= full.bytes.count
                    for m in masks.prefix(n).dropFirst() { bytes &+= encoder.project(full, mask: m).count }
                }
                return ticks.count
            }
            print(String(format: "serialise %2d view(s): %10.0f publications/s, %6.2f µs per publication", n, perSecond, 1e6 / perSecond))
        }
        // For comparison: formatting every view from the tick.
        for n in views where n > 1 {
            var bytes = 0
            let perSecond = PipelineCommand.loop(seconds) {
                for t in ticks {
                    for m in masks.prefix(n) { bytes &+= encoder.encode(channel: channel, offset: 1, tick: t, mask: m).count }
                }
                return ticks.count
            }
            print(String(format: "  (without splicing, %2d views: %10.0f publications/s, %6.2f µs per publication)", n, perSecond, 1e6 / perSecond))
        }
    }
}
