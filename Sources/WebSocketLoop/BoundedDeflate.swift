import CWebSockets
import Foundation

/// permessage-deflate as libwebsockets implements it, with the server's compressor sized by
/// `LoopConfiguration.deflateWindowBits` and `deflateMemoryLevel` instead of zlib's largest
/// (window 15, memory level 8: about 260 KB per connection once it has written).
///
/// lws sizes its compressor and its decompressor from the same `server_max_window_bits`, each
/// when it first runs. The bound is set just before a connection's first compressed write and the
/// negotiated value put back right after, so a decompressor made later still takes whatever
/// window the client compresses with. A smaller window on the server's side needs no
/// negotiation: any inflater with a window at least as large reads it (RFC 7692 §7.1.2.1).
/// A connection whose compressor is made anew for every message (`server_no_context_takeover`)
/// is bounded on every write, not only the first.
func boundedDeflate(
    _ context: OpaquePointer?, _ ext: UnsafePointer<lws_extension>?, _ wsi: OpaquePointer?, _ reason: lws_extension_callback_reasons,
    _ user: UnsafeMutableRawPointer?, _ input: UnsafeMutableRawPointer?, _ len: Int
) -> Int32 {
    guard reason == LWS_EXT_CB_PAYLOAD_TX, let wsi, let c = serverConnection(wsi), !c.deflateBounded || c.deflateResetsEachMessage else {
        return lws_extension_callback_pm_deflate(context, ext, wsi, reason, user, input, len)
    }
    c.deflateBounded = true
    let config = c.loop.configuration
    let bits = min(config.deflateWindowBits, c.offeredServerWindowBits ?? 15)
    setDeflateOption(wsi, "server_max_window_bits", bits)
    setDeflateOption(wsi, "mem_level", config.deflateMemoryLevel)
    let result = lws_extension_callback_pm_deflate(context, ext, wsi, reason, user, input, len)
    setDeflateOption(wsi, "server_max_window_bits", c.offeredServerWindowBits ?? 15)
    return result
}

private func setDeflateOption(_ wsi: OpaquePointer, _ name: String, _ value: Int) {
    _ = lws_set_extension_option(wsi, "permessage-deflate", name, String(value))
}

/// The accepted connection behind `wsi` (server side: the protocol's per-session slot).
private func serverConnection(_ wsi: OpaquePointer) -> WebSocketConnection? {
    guard let slot = lws_wsi_user(wsi)?.assumingMemoryBound(to: UnsafeMutableRawPointer?.self), let p = slot.pointee else { return nil }
    guard let c = Unmanaged<AnyObject>.fromOpaque(p).takeUnretainedValue() as? WebSocketConnection, !c.isClient else { return nil }
    return c
}

/// The `server_max_window_bits=N` a client's permessage-deflate offer asks for, if any.
func offeredServerWindowBits(_ offer: String) -> Int? {
    for param in offer.split(separator: ";") {
        let kv = param.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        if kv.count == 2, kv[0] == "server_max_window_bits", let n = Int(kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))), (8...15).contains(n) {
            return n
        }
    }
    return nil
}

/// Whether a permessage-deflate offer asks the server to compress every message alone.
func offersServerNoContextTakeover(_ offer: String) -> Bool {
    offer.split(separator: ";").contains { $0.trimmingCharacters(in: .whitespaces) == "server_no_context_takeover" }
}

/// lws 4.1.6 applies both context-takeover parameters to the wrong side of a server connection:
/// `server_no_context_takeover` resets its *inflater* after each client message (breaking a
/// client that keeps its context, as the agreement allows) and leaves its *deflater's* context
/// (so a client that resets per message, as agreed, cannot inflate the second message);
/// `client_no_context_takeover` resets its deflater (so a client that only promised to compress
/// alone gets every message compressed alone, 1.7× instead of 3.6–5.6×). Set lws' options so
/// that the deflater resets exactly when the client asked the server to, and the inflater never.
func applyContextTakeover(_ wsi: OpaquePointer, serverResets: Bool) {
    _ = lws_set_extension_option(wsi, "permessage-deflate", "client_no_context_takeover", serverResets ? "1" : "0")
    _ = lws_set_extension_option(wsi, "permessage-deflate", "server_no_context_takeover", "0")
}
