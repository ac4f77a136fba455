import ArgumentParser

/// `streamhub-bench`: measures the hub. Speed is proven here, never with timing assertions in tests.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streamhub-bench",
        abstract: "StreamHub benchmarks: fan-out over real WebSockets, the pipeline on recorded venue data.",
        subcommands: [
            FanoutCommand.self, PipelineCommand.self, PropertiesCommand.self, HistoryCommand.self, IdleCommand.self, HubCommand.self, FlagsCommand.self,
            EnrichmentCommand.self, StoreCommand.self,
        ])
}
