import HubCore

/// Faults a test (or an operator of `venue-sim`) can inject into a simulator.
public enum SimulatorFault: Sendable, Equatable {
    /// Drop the next book change of an instrument, so clients see a broken change_id chain.
    case gap(instrument: String)
    /// Close every client connection abruptly (no close frame).
    case dropConnections
    /// Send a frame that is not JSON to every client.
    case malformedFrame
    /// Send nothing at all (no data, no heartbeats) for this many seconds: a stale feed.
    case silence(seconds: Double)
    /// Send one text frame of this many bytes to every client.
    case oversizedFrame(bytes: Int)
    /// Send one ticker of the instrument with impossible values (a negative best bid, an IV of
    /// 20000 %) to subscribers of its ticker channel: data that decodes but must not validate.
    case outOfRange(instrument: String)
}
