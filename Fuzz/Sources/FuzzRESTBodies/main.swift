// REST bodies: the first byte picks what the body is decoded as — a role, a flag, a
// client-features document, a property definition, an instrument mapping — then it is checked
// as the API checks it. Anything is a decoding or definition error naming a field.
import Foundation
import FuzzSupport
import HubCore

let decoder = JSONDecoder()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESTBodies(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let body = Data(bytes[1...])
    switch bytes[0] % 5 {
    case 0:
        if let role = try? decoder.decode(Role.self, from: body) { try? role.grants.check() }
    case 1:
        if let flag = try? decoder.decode(FeatureFlag.self, from: body) { try? FlagCheck.check(flag) }
    case 2:
        if let set = try? decoder.decode(FlagSet.self, from: body) {
            for f in set.features { try? FlagCheck.check(f) }
            for s in set.segments { try? FlagCheck.check(s) }
        }
    case 3:
        if let def = try? decoder.decode(PropertyDefinition.self, from: body) { try? def.check(known: ["bid", "ask", "price"]) }
    default:
        if let mapping = try? decoder.decode(InstrumentMapping.self, from: body) { try? mapping.check() }
    }
    return 0
}
