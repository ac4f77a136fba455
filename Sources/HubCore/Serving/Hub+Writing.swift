/// Filling frames for writable connections, and the reply queue.
extension Hub {
    /// What the loop should do with a writable connection.
    public enum WriteOutcome: Equatable, Sendable {
        /// Nothing to send.
        case idle
        /// `out` holds one frame to write; `more` asks for another writable callback.
        case frame(more: Bool)
        /// Send a close frame with this code and drop the connection.
        case close(CloseReason)
    }

    /// Fills one frame for `s`: pending replies first, then publications from ready cursors
    /// (round-robin), joined by `\n`, up to `frameBytes`. Applies the queue policy: state cursors
    /// too far behind jump to the newest publication; event cursors too far behind close the
    /// session as a slow consumer.
    public func fillFrame(_ s: Session, into out: inout [UInt8]) -> WriteOutcome {
        s.writeScheduled = false
        let start = out.count
        if let reason = s.closeReason {
            // Replies already queued (the errors that led here) go out before the close frame,
            // except to a slow consumer, which is not reading anyway.
            guard reason != .slowConsumer, !s.control.isEmpty else { return .close(reason) }
            var n = 0
            while let msg = s.control.first, n == 0 || out.count - start + msg.count < config.frameBytes {
                if n > 0 { out.append(UInt8(ascii: "\n")) }
                out.append(contentsOf: msg)
                s.control.removeFirst()
                s.controlBytes -= msg.count
                n += 1
            }
            s.writeScheduled = true
            return .frame(more: true)
        }
        let budget = config.frameBytes
        var messages = 0

        /// Room for one more message of `size` bytes (always for the first): adds the separator.
        func reserve(_ size: Int) -> Bool {
            let used = out.count - start
            if messages > 0 && used + 1 + size > budget { return false }
            if messages > 0 { out.append(UInt8(ascii: "\n")) }
            messages += 1
            return true
        }

        func add(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBufferPointer { add($0) } }

        func add(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            guard reserve(bytes.count) else { return false }
            out.append(contentsOf: bytes)
            return true
        }

        while let msg = s.control.first, add(msg) {
            s.control.removeFirst()
            s.controlBytes -= msg.count
        }

        var full = out.count - start >= budget || !s.control.isEmpty
        var rounds = s.ready.count
        while !full, rounds > 0, let cursor = s.ready.popFirst() {
            rounds -= 1
            cursor.isReady = false
            if cursor.isDetached || !cursor.hasPending { continue }
            let ring = cursor.channel.ring
            if cursor.channel.delivery == .event {
                if cursor.next < ring.firstOffset {
                    close(s, .slowConsumer)
                    out.removeSubrange(start...)
                    return .close(.slowConsumer)
                }
            } else if cursor.next < ring.firstOffset || ring.backlogBytes(from: cursor.next) > UInt64(config.conflateBytes) {
                cursor.next = ring.lastOffset  // conflation: the newest state replaces the backlog
                s.conflations += 1
                counters.conflations += 1
            }
            // The mask is read only where a plan or an encoding is made (reading it retains its
            // words, per subscriber).
            let view = cursor.view
            let cursorStart = out.count, messagesBefore = messages
            let subscription = cursor.subscription
            while cursor.hasPending {
                // Filtered out before any byte is framed (the offset still advances).
                if subscription.filter != nil && !subscription.passes(ring.tick(at: cursor.next)) {
                    cursor.next += 1
                    continue
                }
                // Projections are spliced from the full encoding straight into the frame: no
                // per-view allocation to make, cache and free (the full bytes are shared), and
                // no reference counted per message (read through pointers).
                if let fullEncoding = ring.fullView(at: cursor.next) {
                    if view == .all {
                        guard add(fullEncoding.bytes) else {
                            full = true
                            break
                        }
                    } else {
                        // Projected, then measured (one pass over the spans, not two): taken back
                        // when it does not fit a frame that already has messages (as `reserve`).
                        let before = out.count
                        if messages > 0 { out.append(UInt8(ascii: "\n")) }
                        encoder.project(fullEncoding, mask: views.mask(view), view: view, plan: &cursor.plan, into: &out)
                        if messages > 0 && out.count - start > budget {
                            out.removeSubrange(before...)
                            full = true
                            break
                        }
                        messages += 1
                    }
                } else {
                    guard
                        let bytes = ring.encoding(
                            at: cursor.next, view: view,
                            make: { tick, _, off in
                                encoder.encode(channel: cursor.channel, offset: off, tick: tick, mask: views.mask(view))
                            })
                    else { break }
                    guard add(bytes) else {
                        full = true
                        break
                    }
                }
                cursor.next += 1
            }
            // Usage: two plain increments per cursor per frame (folded at the roll-up).
            cursor.channel.deliveredMessages &+= UInt64(messages - messagesBefore)
            if tracksUsage {
                cursor.usageMessages &+= UInt64(messages - messagesBefore)
                cursor.usageBytes &+= UInt64(out.count - cursorStart)
            }
            if cursor.hasPending {
                cursor.isReady = true
                s.ready.append(cursor)
            }
        }

        guard messages > 0 else { return .idle }
        s.messagesSent += UInt64(messages)
        s.framesSent += 1
        counters.framesOut += 1
        counters.messagesOut += UInt64(messages)
        counters.bytesOut += UInt64(out.count - start)
        let more = !s.control.isEmpty || !s.ready.isEmpty
        if more { s.writeScheduled = true }
        return .frame(more: more)
    }

    func enqueue(_ message: [UInt8], to s: Session) {
        guard s.closeReason == nil else { return }
        s.controlBytes += message.count
        s.control.append(message)
        if s.controlBytes > config.maxControlBytes {
            close(s, .slowConsumer)
            return
        }
        schedule(s)
    }

    @inline(__always)
    func schedule(_ s: Session) {
        if !s.writeScheduled {
            s.writeScheduled = true
            s.transport.requestWritable()
        }
    }
}
