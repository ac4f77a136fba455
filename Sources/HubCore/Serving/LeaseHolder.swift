/// Which leases a cluster node holds. Every publication is made under a lease — a venue's feed,
/// or the coordinator's (cross-venue enrichment, alerts, the publish API) — and carries the
/// lease's fencing token to Redis, which refuses it once another node has taken the lease over.
///
/// Threading: `token(for:)` is called on the loop thread for every publication.
public protocol LeaseHolder: AnyObject {
    /// The fencing token of `lease` while this node holds it, else nil.
    func token(for lease: String) -> String?
}

/// The lease a publication was made under and the token proving it was held.
public struct Fence: Sendable, Hashable {
    public let lease: String
    public let token: String

    public init(lease: String, token: String) {
        self.lease = lease
        self.token = token
    }
}
