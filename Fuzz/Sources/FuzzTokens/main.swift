// Bearer tokens: verification of anything a client may present (JWS compact form, any header,
// any algorithm) is a refusal with a reason, never a crash.
import Dispatch
import Foundation
import FuzzSupport
import HubAuth

final class Box<T>: @unchecked Sendable { var value: T? }

let service: TokenService = {
    let box = Box<TokenService>()
    let done = DispatchSemaphore(value: 0)
    Task {
        box.value = try! await TokenService(config: AuthConfig(jwtSecret: "fuzz-secret-0123456789abcdef0123456789"))
        done.signal()
    }
    done.wait()
    return box.value!
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokens(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let token = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    let done = DispatchSemaphore(value: 0)
    Task {
        _ = await service.verify(token: token)
        done.signal()
    }
    done.wait()
    return 0
}
