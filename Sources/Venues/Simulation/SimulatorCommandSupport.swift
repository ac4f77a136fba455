import ArgumentParser
import Foundation
import HubCore

/// The options every simulator has.
public func validateListen(port: Int, stepMilliseconds: Int) throws {
    guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    guard (10...60_000).contains(stepMilliseconds) else { throw ValidationError("--step-ms must be between 10 and 60000") }
}

/// Builds the simulator with SIGINT/SIGTERM blocked (its threads inherit that), starts it,
/// prints its banner, serves until a signal, stops it and returns it.
@discardableResult
public func serveUntilSignalled<S: VenueSimulator>(_ make: () throws -> S, banner: (S) -> String) throws -> S {
    let signals = blockShutdownSignals()
    let sim = try make()
    sim.start()
    print(banner(sim))
    waitForShutdown(signals)
    sim.stop()
    return sim
}

/// SIGINT/SIGTERM are waited for, not delivered.
func blockShutdownSignals() -> sigset_t {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    pthread_sigmask(SIG_BLOCK, &set, nil)
    return set
}

func waitForShutdown(_ set: sigset_t) {
    var s = set
    var sig: Int32 = 0
    sigwait(&s, &sig)
}
