import CHiredis

/// hiredis' reply constructors with aggregates bounded. hiredis 0.14 allocates an array's
/// element table from the count a reply announces (`*700000000` is a 5.6 GB `calloc` before a
/// single element arrives); a Redis that lies — or a man in the middle — must not be able to
/// take the hub's memory that way. An array over `maxElements` fails the read with hiredis'
/// out-of-memory error: the connection is dropped and reconnected like any broken one.
enum BoundedReplies {
    /// Far above any reply the hub asks for (a recovery is at most `serve.maxRecoverMessages`
    /// entries, a state hash a few dozen fields); nine nested levels stay under 72 MB.
    static let maxElements: Int32 = 1 << 20

    /// Installs the bounded constructors on `reader`.
    static func install(on reader: UnsafeMutablePointer<redisReader>) {
        reader.pointee.fn = functions
    }

    // Written once (lazily, thread-safe), read-only after: no shared mutation.
    nonisolated(unsafe) private static let functions: UnsafeMutablePointer<redisReplyObjectFunctions> = {
        let p = UnsafeMutablePointer<redisReplyObjectFunctions>.allocate(capacity: 1)
        p.pointee = defaults.pointee
        p.pointee.createArray = { task, elements in elements > BoundedReplies.maxElements ? nil : BoundedReplies.defaults.pointee.createArray(task, elements) }
        return p
    }()

    /// hiredis' own constructors, copied from a reader it made.
    nonisolated(unsafe) private static let defaults: UnsafeMutablePointer<redisReplyObjectFunctions> = {
        let p = UnsafeMutablePointer<redisReplyObjectFunctions>.allocate(capacity: 1)
        let reader = redisReaderCreate()!
        p.pointee = reader.pointee.fn.pointee
        redisReaderFree(reader)
        return p
    }()
}
