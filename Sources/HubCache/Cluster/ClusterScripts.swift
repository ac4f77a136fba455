/// The Lua scripts a cluster runs in Redis. Each checks the fencing token first, so a node that
/// lost its lease (paused, partitioned) can no longer write or announce anything: the check and
/// the writes are one atomic step.
enum ClusterScripts {
    /// History entry + announcement. KEYS: lease, history stream, channel set, the lease's
    /// channel set. ARGV: token, shard channel, message, entry id, MAXLEN, "1" when the channel
    /// starts a new epoch (its history restarts), channel name, then the entry's field/value
    /// pairs. Returns 1, or 0 when fenced out.
    static let publish = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        if ARGV[6] == '1' then redis.call('DEL', KEYS[2]) end
        redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], ARGV[4], unpack(ARGV, 8))
        redis.call('SADD', KEYS[3], ARGV[7])
        redis.call('SADD', KEYS[4], ARGV[7])
        redis.call('SPUBLISH', ARGV[2], ARGV[3])
        return 1
        """

    /// A channel's state hash, replaced. KEYS: lease, state hash. ARGV: token, then the hash's
    /// field/value pairs. (Coalesced per channel: when the newest state was made under a lease
    /// already lost it is refused, and the hash stays at an older one — the stream stays exact.)
    static let state = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('DEL', KEYS[2])
        redis.call('HSET', KEYS[2], unpack(ARGV, 2))
        return 1
        """

    /// Takes a free lease. KEYS: lease, its counter. ARGV: node id, TTL in ms. Returns the new
    /// token `<node>/<n>`, or nil when another node holds it.
    static let acquire = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return false end
        local token = ARGV[1] .. '/' .. redis.call('INCR', KEYS[2])
        if redis.call('SET', KEYS[1], token, 'NX', 'PX', ARGV[2]) then return token end
        return false
        """

    /// Extends a lease still held with `token`. KEYS: lease. ARGV: token, TTL in ms. 1 or 0.
    static let renew = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """

    /// Gives a lease up (graceful stop) if still held with `token`. KEYS: lease. ARGV: token.
    static let release = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """
}
