import Foundation

/// Turns SIGINT and SIGTERM into a call on an ordinary thread: the signals are blocked in every
/// thread (`block()` before starting any) and one thread waits for them with `sigwait`.
public enum ShutdownSignals {
    /// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts from now on.
    /// Commands call it first: a thread started before (a simulator's, a store queue's) would
    /// otherwise take the signal and die of it, skipping the graceful shutdown.
    public static func block() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    public static func install(_ onSignal: @escaping @Sendable (Int32) -> Void) {
        block()
        let waiter = Thread {
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGINT)
            sigaddset(&set, SIGTERM)
            while true {
                var sig: Int32 = 0
                if sigwait(&set, &sig) == 0 { onSignal(sig) }
            }
        }
        waiter.name = "signals"
        waiter.start()
    }
}
