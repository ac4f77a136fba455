// Venue frames: the first byte picks a venue, the rest is its frames, one per line, fed to the
// venue's adapter as a live connection would (connected, frames, a timer tick). Decoders must
// turn anything into events or counted errors, never a crash.
import FuzzSupport
import HubCore
import Venues

func makeAdapter<V: Venue>(_ venue: V) -> FeedAdapter { venue.replayAdapter(V.Settings(), recordedURL: nil) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVenueFrames(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let venue = VenueRegistry.all[Int(bytes[0]) % VenueRegistry.all.count]
    let adapter = makeAdapter(venue)
    var now: UInt64 = 1_000_000_000
    var events = 0
    _ = adapter.connected(now: now)
    for frame in FuzzInput.lines(UnsafeRawBufferPointer(rebasing: bytes[1...])) {
        now += 1_000_000
        _ = adapter.received(frame, now: now, wallMicros: Int64(now / 1000), emit: { _ in events += 1 })
    }
    _ = adapter.timer(now: now + 5_000_000_000)
    adapter.disconnected(now: now, reason: "fuzz")
    return 0
}
