import ArgumentParser
import HubCore

/// The ORCA sportsbook odds stream (`orca.v1`, ours: docs/feeds/orca.md).
public struct OrcaVenue: SimulatedVenue {
    public init() {}
    public let id = "orca"
    public var schema: VenueSchema { OrcaField.schema }
    public let propertiesFiles = ["sportsbook.yaml", "prediction.yaml"]

    public func adapter(_ settings: OrcaSettings) -> FeedAdapter { OrcaFeed(config: settings.feed) }

    public var simulatorCommand: any ParsableCommand.Type { OrcaSimulatorCommand.self }

    public func simulator(for settings: OrcaSettings, _ context: SimulationContext) throws -> (OrcaSimulator, OrcaSettings) {
        var sc = OrcaSimulatorConfig()
        sc.streams = settings.feed.streams
        sc.stepMilliseconds = settings.simulatorStepMilliseconds
        sc.heartbeatMs = settings.simulatorHeartbeatMs
        return (try OrcaSimulator(config: sc, clock: context.clock), settings)
    }

    public func faultTarget(_ settings: OrcaSettings) -> String { settings.feed.streams.first ?? "soccer" }

    public var simulatedSettings: OrcaSettings {
        var s = OrcaSettings()
        s.enabled = true
        s.simulate = true
        return s
    }
}

extension VenueSections {
    /// `feeds.orca`.
    public var orca: OrcaSettings {
        get { self[OrcaVenue()] }
        set { self[OrcaVenue()] = newValue }
    }
}
