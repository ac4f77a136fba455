import Foundation
import WebSocketLoop

/// Password hashing off the loop on a bounded pool: at most `threads` hashes run at once and at
/// most `maxWaiting` wait behind them. A sign-in beyond that is refused (503) instead of joining
/// an unbounded queue that would make every later sign-in wait behind a flood.
///
/// Threading: `run` and its `done` on the loop; the work on the pool's threads.
final class PasswordWorkers: @unchecked Sendable {
    private let queue = OperationQueue()
    private let capacity: Int
    /// Running and waiting (loop-confined).
    private var inFlight = 0
    private unowned let loop: EventLoop

    init(threads: Int, maxWaiting: Int, loop: EventLoop) {
        queue.name = "streamhub.passwords"
        queue.maxConcurrentOperationCount = max(1, threads)
        capacity = max(1, threads) + max(0, maxWaiting)
        self.loop = loop
    }

    /// Runs `work` on the pool, then `done` on the loop with its result; false (and nothing runs)
    /// when the pool is full.
    func run<T>(_ work: @escaping () -> T, then done: @escaping (T) -> Void) -> Bool {
        guard inFlight < capacity else { return false }
        inFlight += 1
        let job = UncheckedBox((work, done))
        queue.addOperation { [self] in
            let result = UncheckedBox(job.value.0())
            loop.execute { [self] in
                inFlight -= 1
                job.value.1(result.value)
            }
        }
        return true
    }
}
