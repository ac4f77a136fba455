/// Serving-stage counters, read by `/healthz` and the benchmarks.
public struct ServeCounters: Sendable, Equatable {
    public var publications: UInt64 = 0
    public var channels = 0
    public var sessions = 0
    public var framesOut: UInt64 = 0
    public var messagesOut: UInt64 = 0
    public var bytesOut: UInt64 = 0
    public var requests: UInt64 = 0
    public var protocolErrors: UInt64 = 0
    public var slowConsumers: UInt64 = 0
    public var conflations: UInt64 = 0
    public var authFailures: UInt64 = 0
    /// Values read back from the history store (recovery) that were not registered or well
    /// typed, or entries out of sequence: skipped, never spliced into a frame.
    public var rejectedStoredValues: UInt64 = 0
    /// `since` requests answered `recovered: false` because too many recoveries were in flight.
    public var recoveriesRefused: UInt64 = 0
    /// Cluster: publications not made because this node does not hold their lease.
    public var unownedPublications: UInt64 = 0
    /// Cluster: publications of other nodes applied, already held (duplicates), fetched from
    /// history to fill a gap, skipped (a gap history could not fill), and refused (unreadable).
    public var remoteApplied: UInt64 = 0
    public var remoteDuplicates: UInt64 = 0
    public var remoteFilled: UInt64 = 0
    public var remoteSkipped: UInt64 = 0
    public var remoteRejected: UInt64 = 0
    /// Cluster: channels whose epoch another node changed, and channels rewound to the
    /// cluster's newest publication when taken over (this node had published beyond it).
    public var remoteEpochChanges: UInt64 = 0
    public var remoteRewinds: UInt64 = 0
    public init() {}
}
