// Bearer tokens: verification of anything a client may present (JWS compact form, any header,
// any algorithm) is a refusal with a reason, never a crash.
import FuzzSupport
import HubAuth
import HubServer

let service = try! blocking { try await TokenService(config: AuthConfig(jwtSecret: "fuzz-secret-0123456789abcdef0123456789")) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokens(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let token = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? blocking { await service.verify(token: token) }
    return 0
}
