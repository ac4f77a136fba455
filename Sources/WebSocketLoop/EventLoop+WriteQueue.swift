import CWebSockets

/// Writing without a round trip through the poller.
///
/// lws' way to write is to ask for a writable callback: the connection's write interest goes on
/// in the poller, the next wait reports the socket writable, lws calls back, the frame is written
/// and the interest goes off again. Per frame that is two changes of the poll set (on libuv each
/// one `epoll_ctl` pair) and a pass of the poller. A subscriber socket almost always has room, so
/// connections that asked to write are queued instead and each written one frame (as much as the
/// handler puts in one) just before the loop would wait: one `send` per connection and wake-up.
/// A connection with more than a frame pending, a socket that did not take a whole frame (lws
/// buffered the rest and asked for it) and the connections `WebSocketConnection.writesDirectly`
/// leaves to lws go on from writable callbacks.
extension EventLoop {
    /// Queues `c` to be written before the loop waits. On poll lws runs its due timers inside
    /// `lws_service` just before it polls, and callbacks they make (a loop timer, a connect
    /// timeout) can queue writes: an lws timer due at once keeps that poll from blocking, so the
    /// writes go out between this pass and the next.
    func queueWrite(_ c: WebSocketConnection) {
        if writeQueue.isEmpty && eventLibrary == .poll && !flushTimer.isScheduled { flushTimer.schedule(after: 0) }
        writeQueue.append(c)
    }

    /// Writes every queued connection. Called on the loop thread where the loop would wait next:
    /// between `lws_service` passes on poll, from a prepare handle on libuv.
    func flushWrites() {
        // A handler may queue connections while this runs (a slow consumer's close): they are
        // written in the next round. Each round writes at most one frame per connection.
        var rounds = 0
        while !writeQueue.isEmpty && rounds < 4 {
            rounds += 1
            swap(&writeQueue, &writing)
            for c in writing {
                c.writeQueued = false
                guard let wsi = c.wsi, !c.finished else { continue }
                if !c.writesDirectly || lws_partial_buffered(wsi) != 0 {
                    lws_callback_on_writable(wsi)
                } else {
                    writeNow(c, wsi)
                }
            }
            writing.removeAll(keepingCapacity: true)
        }
        // Left after the last round: their writable callbacks take over.
        for c in writeQueue {
            c.writeQueued = false
            if let wsi = c.wsi, !c.finished { lws_callback_on_writable(wsi) }
        }
        writeQueue.removeAll(keepingCapacity: true)
    }

    /// One frame for `c`, written from the shared frame buffer (lws copies what the socket does
    /// not take and asks for a writable callback to send it).
    private func writeNow(_ c: WebSocketConnection, _ wsi: OpaquePointer) {
        frame.reset()
        let result = c.handler.webSocketWritable(c, frame: &frame)
        switch result {
        case .idle:
            return
        case .text(let more), .binary(let more):
            let kind = result == .text(more: more) ? LWS_WRITE_TEXT : LWS_WRITE_BINARY
            if Self.write(wsi, &frame, kind) < 0 {
                // The socket failed: lws closes it (closed callback as usual).
                c.kill()
                return
            }
            framesWrittenDirectly &+= 1
            if more { lws_callback_on_writable(wsi) }
        case .close(let code, let reason):
            // The close frame goes out from the writable callback, which can drop the socket.
            c.pendingClose = (code, reason)
            lws_callback_on_writable(wsi)
        }
    }
}
