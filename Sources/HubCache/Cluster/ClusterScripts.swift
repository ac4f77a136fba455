/// The Lua scripts a cluster runs in Redis. Each checks the fencing token first, so a node that
/// lost its lease (paused, partitioned) can no longer write or announce anything: the check and
/// the writes are one atomic step.
enum ClusterScripts {
    /// History entries + announcements of one lease, in order. KEYS: lease, channel set, the
    /// lease's channel set, then one history stream per publication. ARGV: token, MAXLEN, then
    /// per publication: shard channel, message, entry id, "1" when the channel starts a new
    /// epoch here (its history restarts), channel name, the number of field/value strings, and
    /// those. Returns `{written, failed}` (an entry Redis refuses — an id not above the
    /// stream's newest — fails alone), or 0 when fenced out.
    static let publish = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        local a, written, failed = 3, 0, 0
        for k = 4, #KEYS do
          local shard, message, id, fresh, name, n = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], tonumber(ARGV[a + 5])
          a = a + 6
          if fresh == '1' then redis.call('DEL', KEYS[k]) end
          local r = redis.pcall('XADD', KEYS[k], 'MAXLEN', '~', ARGV[2], id, unpack(ARGV, a, a + n - 1))
          a = a + n
          if type(r) == 'table' and r.err then
            failed = failed + 1
          else
            written = written + 1
            redis.call('SADD', KEYS[2], name)
            redis.call('SADD', KEYS[3], name)
            redis.call('SPUBLISH', shard, message)
          end
        end
        return {written, failed}
        """

    /// State hashes of one lease, each replaced. KEYS: lease, then one state hash per channel.
    /// ARGV: token, then per hash the number of field/value strings and those. Returns the
    /// number written, or 0 when fenced out. (Coalesced per channel: when the newest state was
    /// made under a lease already lost it is refused, and the hash stays at an older one — the
    /// stream stays exact.)
    static let state = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        local a = 2
        for k = 2, #KEYS do
          local n = tonumber(ARGV[a])
          redis.call('DEL', KEYS[k])
          redis.call('HSET', KEYS[k], unpack(ARGV, a + 1, a + n))
          a = a + 1 + n
        end
        return #KEYS - 1
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
