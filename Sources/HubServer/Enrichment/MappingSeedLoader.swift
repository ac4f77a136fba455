import Foundation
import HubCore
import HubStore
import Logging
import Yams

/// Reads the default mappings (`config/mappings.yaml`: `mappings: [{id, kind, description,
/// members: [{venue, instrument, side}]}]`) and checks them as the REST API does.
public enum MappingSeedLoader {
    struct File: Decodable {
        let mappings: [InstrumentMapping]
        enum Keys: String, CodingKey, CaseIterable { case mappings }
        init(from decoder: Decoder) throws {
            mappings = try decoder.strictContainer(Keys.self).decode([InstrumentMapping].self, forKey: .mappings)
        }
    }

    public static func load(file path: String) throws(DefinitionError) -> [InstrumentMapping] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw DefinitionError(field: "", "cannot read the mappings file", file: path)
        }
        let ms: [InstrumentMapping]
        do {
            ms = try YAMLDecoder().decode(File.self, from: text).mappings
        } catch let e as DecodingError {
            let (key, reason) = e.keyPathAndReason
            throw DefinitionError(field: key, reason, file: path)
        } catch {
            let first = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            throw DefinitionError(field: "", "not valid YAML: \(first)", file: path)
        }
        var seen: Set<String> = []
        for (i, m) in ms.enumerated() {
            guard seen.insert(m.id).inserted else { throw DefinitionError(.duplicate, field: "mappings[\(i)].id", "'\(m.id)' is defined twice", file: path) }
            do {
                try m.check()
            } catch {
                throw DefinitionError(field: "mappings[\(i)].\(error.field)", error.message, file: path)
            }
        }
        return ms
    }

    /// The store's mappings (the source of truth); a store never seeded is seeded from `seedFile`.
    public static func seeded(store: HubStore, seedFile: String, logger: Logger) throws -> [InstrumentMapping] {
        if try !store.mappingsSeeded() {
            let seed: [InstrumentMapping]
            do {
                seed = try load(file: seedFile)
            } catch {
                throw ConfigError(key: "mappings.seedFile", "\(error)")
            }
            try store.seedMappings(seed)
            logger.info("mappings seeded", metadata: ["mappings": "\(seed.map(\.id).joined(separator: ","))", "from": "\(seedFile)"])
        }
        return try store.mappings()
    }
}
