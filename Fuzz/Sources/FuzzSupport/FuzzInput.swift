import Foundation
import HubCore
import HubServer

/// Helpers the fuzz targets share.
public enum FuzzInput {
    /// The repository's root (for the shipped property definitions and roles).
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The shipped property definitions (config/properties).
    public static let registry: PropertyRegistry = {
        let r = PropertyRegistry()
        try! r.load(PropertySeedLoader.load(directory: repository.appendingPathComponent("config/properties").path))
        return r
    }()

    /// `bytes` cut at each newline: one input carries several messages, so the fuzzer reaches
    /// sequences (subscribe, then unsubscribe…), not single messages only.
    public static func lines(_ bytes: UnsafeRawBufferPointer) -> [UnsafeRawBufferPointer] {
        var out: [UnsafeRawBufferPointer] = []
        var start = 0
        for i in 0..<bytes.count where bytes[i] == UInt8(ascii: "\n") {
            out.append(UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
            start = i + 1
        }
        if start < bytes.count { out.append(UnsafeRawBufferPointer(rebasing: bytes[start...])) }
        return out
    }
}

/// Runs once before the first input (every target links this module): the property registry is
/// built here — it compiles its rules' regular expressions — so no input is charged for it.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    _ = FuzzInput.registry
    return 0
}
