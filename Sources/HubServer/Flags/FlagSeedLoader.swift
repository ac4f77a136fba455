import Foundation
import HubCore
import Yams

/// Reads default flags (`config/flags.yaml`: Unleash's client-features document in YAML) and
/// checks them as the REST API does.
public enum FlagSeedLoader {
    public static func load(file path: String) throws(DefinitionError) -> FlagSet {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw DefinitionError(field: "", "cannot read the flags file", file: path)
        }
        let set: FlagSet
        do {
            set = try YAMLDecoder().decode(FlagSet.self, from: text)
        } catch let e as DecodingError {
            let (key, reason) = e.keyPathAndReason
            throw DefinitionError(field: key, reason, file: path)
        } catch {
            let first = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            throw DefinitionError(field: "", "not valid YAML: \(first)", file: path)
        }
        var seen: Set<String> = []
        for (i, f) in set.features.enumerated() {
            guard seen.insert(f.name).inserted else {
                throw DefinitionError(.duplicate, field: "features[\(i)].name", "'\(f.name)' is defined twice", file: path)
            }
            do {
                try FlagCheck.check(f)
            } catch {
                throw DefinitionError(error.kind, field: "features[\(i)].\(error.field)", error.message, file: path)
            }
        }
        for (i, s) in set.segments.enumerated() {
            do {
                try FlagCheck.check(s)
            } catch {
                throw DefinitionError(error.kind, field: "segments[\(i)].\(error.field)", error.message, file: path)
            }
        }
        return set
    }
}
