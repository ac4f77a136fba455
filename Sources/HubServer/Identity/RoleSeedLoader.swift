import Foundation
import HubCore
import Yams

/// Reads the default roles (`config/roles.yaml`, `roles: [ … ]`) strictly: an unknown key, a
/// bad pattern or scope names the file and the key path.
public enum RoleSeedLoader {
    struct File: Decodable {
        let roles: [Role]
        enum Keys: String, CodingKey, CaseIterable { case roles }
        init(from decoder: Decoder) throws {
            let c = try decoder.strictContainer(Keys.self)
            roles = try c.decode([Role].self, forKey: .roles)
        }
    }

    public static func load(file path: String) throws(DefinitionError) -> [Role] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw DefinitionError(field: "", "cannot read the roles file (auth.rolesFile)", file: path)
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(DefinitionError) -> [Role] {
        let roles: [Role]
        do {
            roles = try YAMLDecoder().decode(File.self, from: text).roles
        } catch let e as DecodingError {
            let (key, reason) = e.keyPathAndReason
            throw DefinitionError(field: key, reason, file: file)
        } catch {
            let first = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            throw DefinitionError(field: "", "not valid YAML: \(first)", file: file)
        }
        var seen: Set<String> = []
        for (i, r) in roles.enumerated() {
            guard Role.isValidID(r.id) else { throw DefinitionError(field: "roles[\(i)].id", "'\(r.id)' is not a role id ([a-z0-9_-], 1-32)", file: file) }
            guard seen.insert(r.id).inserted else { throw DefinitionError(.duplicate, field: "roles[\(i)].id", "role '\(r.id)' is defined twice", file: file) }
            do {
                try r.grants.check()
            } catch {
                throw DefinitionError(error.kind, field: "roles[\(i)].\(error.field)", error.message, file: file)
            }
        }
        for required in ["admin", "anonymous"] where !seen.contains(required) {
            throw DefinitionError(field: "roles", "the '\(required)' role must be defined", file: file)
        }
        return roles
    }
}
