import CWebSockets

/// A one-shot or repeating timer on the loop (an lws "sorted usec list" entry).
///
/// Threading: create, schedule and cancel on the loop thread.
public final class LoopTimer: @unchecked Sendable {
    weak var loop: EventLoop?
    let node: UnsafeMutablePointer<shim_timer>
    let body: () -> Void
    let repeatSeconds: Double?
    private(set) var isScheduled = false

    init(loop: EventLoop, repeatSeconds: Double?, body: @escaping () -> Void) {
        self.loop = loop
        self.body = body
        self.repeatSeconds = repeatSeconds
        node = .allocate(capacity: 1)
        node.initialize(to: shim_timer())
        node.pointee.owner = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        // After the context is gone its timer lists are freed: nothing to unlink then.
        if isScheduled, loop?.context != nil { lws_sul_cancel(&node.pointee.sul) }
        node.deallocate()
    }

    func schedule(after seconds: Double) {
        guard let loop, let ctx = loop.context else { return }
        isScheduled = true
        loop.timerRefs[ObjectIdentifier(self)] = self
        lws_sul_schedule(ctx, 0, &node.pointee.sul, timerFired, lws_usec_t(max(0, seconds) * 1_000_000))
    }

    /// Stops the timer; its body will not run again.
    public func cancel() {
        guard let loop else { return }
        if isScheduled, loop.context != nil { lws_sul_cancel(&node.pointee.sul) }
        isScheduled = false
        loop.timerRefs[ObjectIdentifier(self)] = nil
    }

    fileprivate func fire() {
        isScheduled = false
        if let r = repeatSeconds {
            schedule(after: r)
        } else {
            loop?.timerRefs[ObjectIdentifier(self)] = nil
        }
        body()
    }
}

private func timerFired(_ sul: UnsafeMutablePointer<lws_sorted_usec_list_t>?) {
    guard let sul else { return }
    let timer = UnsafeMutableRawPointer(sul).assumingMemoryBound(to: shim_timer.self)
    guard let owner = timer.pointee.owner else { return }
    Unmanaged<LoopTimer>.fromOpaque(owner).takeUnretainedValue().fire()
}
