import Foundation

/// Turns SIGINT and SIGTERM into a call on an ordinary thread: the signals are blocked in every
/// thread (call this before starting any) and one thread waits for them with `sigwait`.
public enum ShutdownSignals {
    public static func install(_ onSignal: @escaping @Sendable (Int32) -> Void) {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &set, nil)
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
