// The configuration file: any YAML (or not) is a ConfigError naming the key, never a crash.
import FuzzSupport
import HubServer
import Venues

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? ConfigLoader.parse(text, venues: VenueRegistry.all, environment: ["STREAMHUB_JWT_SECRET": "fuzz-secret-0123456789abcdef0123456789"])
    return 0
}
