import Benchmark
import Fixtures
import Foundation
import HubCore
import HubServer
import Venues

// Micro-benchmarks of the hot paths (ordo-one/benchmark): venue decoding, transformation,
// enrichment by kind, serving (serialise once per view, splice into frames), flag and filter
// evaluation. Each reports throughput, wall clock and heap allocations per operation.
// `scripts/bench --compare <baseline>` calls a regression any rise in allocations, or
// best-iteration throughput more than 10 % below the stored baseline once the machine's own
// drift (the calibration loop's) is taken out (scripts/bench-compare.py) — ratios, since
// baselines are stored per machine and never committed; the thresholds below say the same to
// `swift package benchmark baseline check`, without the drift. Nothing here runs in
// `scripts/test`. State is built before each benchmark's closure, so iterations measure the
// steady path only.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 3,
        scalingFactor: .kilo,
        maxDuration: .seconds(1),
        maxIterations: 10_000,
        thresholds: [
            .mallocCountTotal: .init(absolute: [.p50: 0, .p90: 0]),
            .throughput: .init(relative: [.p0: 10]),
            .wallClock: .init(relative: [.p0: 10]),
        ]
    )

    // The machine's own speed: a fixed integer loop, no allocation. Shared virtual machines
    // drift by tens of percent from one minute to the next; `scripts/bench --compare` divides
    // every ratio by this one's.
    Benchmark("calibration") { benchmark in
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in benchmark.scaledIterations {
            for _ in 0..<64 { x = (x ^ (x >> 31)) &* 0xBF58_476D_1CE4_E5B9 }
        }
        blackHole(x)
    }
    let corpus = BenchmarkCorpus.shared

    // Each iteration is 1000 operations (results are per operation), cycling through a corpus.

    // Decoding: one venue's frames through its codec (simdjson), per frame.
    for (venue, frames) in corpus.venueFrames {
        let decode = BenchmarkCorpus.decoder(venue)
        Benchmark("decode \(venue)") { benchmark in
            for i in benchmark.scaledIterations { frames[i % frames.count].withUnsafeBytes { decode($0) } }
        }
    }

    // Transformation: the Deribit session's events, validated against the shipped registry.
    let transform = Transform(registry: corpus.registry, schemas: VenueRegistry.all.map(\.schema))
    let events = corpus.deribitEvents
    Benchmark("transform deribit event") { benchmark in
        for i in benchmark.scaledIterations { blackHole(transform.transform(events[i % events.count])) }
    }

    // Enrichment per kind of tick.
    for (kind, ticks) in corpus.enrichmentTicks {
        let enrich = corpus.enrichment()
        // "ticker, mapped (+ composite, crypto arbitrage)" → "enrich ticker, mapped"
        let name = kind.split(separator: " (").first.map(String.init) ?? kind
        Benchmark("enrich \(name)") { benchmark in
            for i in benchmark.scaledIterations {
                var tick = ticks[i % ticks.count]
                enrich.enrich(&tick) { blackHole($0) }
                blackHole(tick)
            }
        }
    }

    // Serialise + splice: an enriched tick published into its channel and every subscriber's
    // frames filled (serialised once per view, spliced): one subscriber; 50 subscribers sharing
    // one view; 50 subscribers with 50 distinct views (the views' own cost is the difference of
    // the last two). And the whole pipeline after decoding (transform → enrich → the same).
    for (subscribers, views) in [(1, 1), (50, 1), (50, 50)] {
        let label = subscribers == 1 ? "1 subscriber" : "\(subscribers) subscribers, \(views) view\(views == 1 ? "" : "s")"
        let publishing = ServingBench(corpus: corpus, subscribers: subscribers, views: views, publishOnly: true)
        Benchmark("publish deribit tick, \(label)") { benchmark in
            for i in benchmark.scaledIterations { publishing.serve(i) }
        }
        guard subscribers == views else { continue }
        let processing = ServingBench(corpus: corpus, subscribers: subscribers, views: views)
        Benchmark("pipeline deribit event, \(label)") { benchmark in
            for i in benchmark.scaledIterations { processing.serve(i) }
        }
    }

    // Flag evaluation: the set's flags in turn, each for the next of 1000 users.
    let evaluator = FlagEvaluator(corpus.flags)
    let names = corpus.flags.features.map(\.name), contexts = corpus.flagContexts
    Benchmark("evaluate flag") { benchmark in
        for i in benchmark.scaledIterations { blackHole(evaluator.isEnabled(names[i % names.count], contexts[i % contexts.count])) }
    }

    // Filter evaluation: a compound filter on ticker ticks, per tick.
    let filter = corpus.filter, ticks = corpus.filterTicks
    Benchmark("evaluate filter") { benchmark in
        for i in benchmark.scaledIterations { blackHole(filter.matches(ticks[i % ticks.count])) }
    }
}
