import ArgumentParser
import Foundation
import HubCore
import HubServer
import Workloads

/// The enrichment stage's cost per tick, by kind of tick: quote-derived properties alone, a
/// mapped ticker (composite quote, crypto arbitrage check), an option, a sportsbook quote
/// (overround, no-vig, best line, consensus v1/v2, arbitrage check over a 3-outcome market of
/// five bookmakers) and a mapped prediction outcome.
struct EnrichmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enrichment", abstract: "Enrichment cost per tick by kind (derived properties and cross-channel work).")

    @Option(help: "Property definitions.") var properties = "config/properties"
    @Option(help: "Seconds per measurement.") var seconds = 2.0

    func run() throws {
        let registry = PropertyRegistry()
        try registry.load(try PropertySeedLoader.load(directory: properties))
        let p = registry.table
        let enrich = EnrichmentWorkload.enrichment(p)
        print("enrichment cost per tick (\(seconds) s each; derived ticks emitted per input in brackets)")
        for (name, sample) in EnrichmentWorkload.samples(p) {
            var emitted = 0
            let perSecond = PipelineCommand.loop(seconds) {
                for var t in sample { enrich.enrich(&t) { _ in emitted += 1 } }
                return sample.count
            }
            let total = perSecond * seconds
            let label = name.padding(toLength: 60, withPad: " ", startingAt: 0)
            print(label + String(format: " %10.0f ticks/s  %7.0f ns/tick  [%.2f]", perSecond, 1e9 / perSecond, Double(emitted) / max(1, total)))
        }
    }
}
