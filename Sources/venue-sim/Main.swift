import ArgumentParser
import Venues

/// `venue-sim deribit --port 9101`: a venue simulator on loopback, until SIGINT/SIGTERM. One
/// subcommand per venue of the registry.
@main
struct VenueSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "venue-sim", abstract: "Venue simulators that speak each venue's real protocol.",
        subcommands: VenueRegistry.all.map(\.simulatorCommand))
}
