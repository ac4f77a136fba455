import Foundation
import HubCore
import HubStore
import Logging
import Yams

/// Reads property definitions from `config/properties/*.yaml` (`properties: [ … ]` in each),
/// strictly: an unknown key, a wrong type or a bad rule names the file and the key path.
public enum PropertySeedLoader {
    struct File: Decodable {
        let properties: [PropertyDefinition]
        enum Keys: String, CodingKey, CaseIterable { case properties }
        init(from decoder: Decoder) throws {
            let c = try decoder.strictContainer(Keys.self)
            properties = try c.decode([PropertyDefinition].self, forKey: .properties)
        }
    }

    /// Every definition of every `.yaml` file in `directory`, files in name order.
    public static func load(directory: String) throws(DefinitionError) -> [PropertyDefinition] {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        } catch {
            throw DefinitionError(field: "", "cannot read the property directory", file: directory)
        }
        var all: [PropertyDefinition] = []
        var origin: [String: String] = [:]
        for name in files {
            let path = (directory as NSString).appendingPathComponent(name)
            let defs = try parse(file: path)
            for d in defs {
                if let first = origin[d.name] {
                    throw DefinitionError(.duplicate, field: "properties", "'\(d.name)' is also defined in \(first)", file: path)
                }
                origin[d.name] = path
            }
            all.append(contentsOf: defs)
        }
        // Whole-set checks (lineage across files); report the file of the offending definition.
        let registry = PropertyRegistry()
        do {
            try registry.load(all)
        } catch {
            let culprit = all.first { error.message.contains("'\($0.name)'") }.flatMap { origin[$0.name] }
            throw DefinitionError(error.kind, field: error.field, error.message, file: culprit ?? directory)
        }
        return all
    }

    public static func parse(file path: String) throws(DefinitionError) -> [PropertyDefinition] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw DefinitionError(field: "", "cannot read the file", file: path)
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(DefinitionError) -> [PropertyDefinition] {
        let defs: [PropertyDefinition]
        do {
            defs = try YAMLDecoder().decode(File.self, from: text).properties
        } catch let e as DecodingError {
            if case .dataCorrupted(let ctx) = e, ctx.codingPath.isEmpty, let underlying = ctx.underlyingError {
                let first = "\(underlying)".split(separator: "\n").first.map(String.init) ?? "\(underlying)"
                throw DefinitionError(field: "", "not valid YAML: \(first)", file: file)
            }
            let (key, reason) = e.keyPathAndReason
            throw DefinitionError(field: key, reason, file: file)
        } catch {
            let first = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            throw DefinitionError(field: "", "not valid YAML: \(first)", file: file)
        }
        for (i, d) in defs.enumerated() {
            do {
                try d.check(known: Set(defs.map(\.name)).union(lineageOutsideFile(d)))
            } catch {
                throw DefinitionError(error.kind, field: "properties[\(i)].\(error.field)", error.message, file: file)
            }
        }
        return defs
    }

    /// Inputs from other files are checked with the whole set; within one file only the shape.
    private static func lineageOutsideFile(_ d: PropertyDefinition) -> Set<String> { Set(d.derivedFrom ?? []) }

    /// The registry from the store (the source of truth). Definitions of the seed directory the
    /// store does not hold yet are added first — all of them into a new store, and on an
    /// existing one those a newer version brings (properties are never deleted, so an absent
    /// name is a new one); stored definitions are never overwritten by the seed.
    public static func seeded(store: HubStore, seedDirectory: String, logger: Logger) throws -> PropertyRegistry {
        let stored = Set(try store.properties().map(\.name))
        var seed: [PropertyDefinition] = []
        do {
            seed = try load(directory: seedDirectory)
        } catch {
            guard !stored.isEmpty else { throw error }
            // A running installation does not need its seed any more: serve what the store holds.
            logger.warning("property seed not read; serving the stored definitions", metadata: ["error": "\(error)"])
        }
        let missing = seed.filter { !stored.contains($0.name) }
        if !missing.isEmpty, try store.seedProperties(missing) > 0 {
            logger.info(
                stored.isEmpty ? "property registry seeded" : "property registry: new definitions added from the seed",
                metadata: ["properties": "\(missing.count)", "from": "\(seedDirectory)"])
        }
        let registry = PropertyRegistry()
        do {
            try registry.load(try store.properties())
        } catch let e as DefinitionError {
            throw DefinitionError(e.kind, field: e.field, e.message, file: store.location)
        }
        return registry
    }
}
