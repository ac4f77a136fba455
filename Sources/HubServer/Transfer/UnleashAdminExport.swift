import Foundation
import HubCore
import HubStore

/// Flags as Unleash's admin export (`POST /api/admin/features-batch/export`, also the body of
/// its import): `features` without their rules, `featureStrategies` by `featureName`,
/// `featureEnvironments` with each flag's `enabled` and variants in one environment,
/// `segments`, `dependencies`. The hub keeps one environment: exports are written for it; an
/// import reads the environment asked for, or the export's only one (an export of several
/// environments needs the choice), leaving out strategies and entries of any other.
enum UnleashAdminExport {
    static func document(_ set: FlagSet, environment: String) -> [String: Any] {
        var strategies: [[String: Any]] = []
        for f in set.features {
            for (i, s) in f.strategies.enumerated() {
                var entry = json(s) as? [String: Any] ?? [:]
                entry["id"] = "\(f.name)-\(i)"
                entry["featureName"] = f.name
                entry["sortOrder"] = i
                entry["disabled"] = false
                strategies.append(entry)
            }
        }
        return [
            "features": set.features.map { f -> [String: Any] in
                var entry: [String: Any] = [
                    "name": f.name, "type": "release", "project": "default", "stale": false, "impressionData": false, "archived": false,
                ]
                if let d = f.description { entry["description"] = d }
                return entry
            },
            "featureStrategies": strategies,
            "featureEnvironments": set.features.map { f -> [String: Any] in
                ["name": f.name, "featureName": f.name, "environment": environment, "enabled": f.enabled, "variants": json(f.variants)]
            },
            "segments": json(set.segments),
            "dependencies": set.features.filter { !$0.dependencies.isEmpty }.map { ["feature": $0.name, "dependencies": json($0.dependencies)] },
            "tagTypes": [Any](), "featureTags": [Any](), "contextFields": [Any](),
        ]
    }

    /// The flags of an admin export (or of `{"environment", "data": export}`, Unleash's import
    /// body, whose `environment` is the target there, not what the export holds) in
    /// `environment`; a flag without an entry there is disabled.
    static func parse(_ data: Data, environment asked: String?) throws(TransferInputError) -> TransferRecords.Parsed {
        var root = try TransferRecords.jsonObject(data)
        if let inner = root["data"] as? [String: Any] { root = inner }
        guard let features = root["features"] as? [[String: Any]], root["featureStrategies"] is [Any] else {
            throw TransferInputError("an Unleash admin export has features and featureStrategies lists")
        }
        let held = Set(
            ((root["featureEnvironments"] as? [[String: Any]] ?? []) + (root["featureStrategies"] as? [[String: Any]] ?? [])).compactMap {
                $0["environment"] as? String
            })
        guard let environment = asked ?? (held.count <= 1 ? held.first ?? "" : nil) else {
            throw TransferInputError("the export holds the environments \(held.sorted().joined(separator: ", ")): choose one (--environment, ?environment=)")
        }
        let strategies = (root["featureStrategies"] as? [[String: Any]] ?? []).filter {
            ($0["environment"] as? String).map { environment.isEmpty || $0 == environment } ?? true && $0["disabled"] as? Bool != true
        }
        let environments = (root["featureEnvironments"] as? [[String: Any]] ?? []).filter {
            ($0["environment"] as? String).map { environment.isEmpty || $0 == environment } ?? true
        }
        let dependencies = root["dependencies"] as? [[String: Any]] ?? []
        var flags: [[String: Any]] = []
        for f in features {
            let name = f["name"] as? String ?? ""
            var flag: [String: Any] = ["name": name]
            if let d = f["description"] as? String { flag["description"] = d }
            let own = strategies.filter { $0["featureName"] as? String == name }.sorted { ($0["sortOrder"] as? Int ?? 0) < ($1["sortOrder"] as? Int ?? 0) }
            flag["strategies"] = own.map { s in s.filter { ["name", "parameters", "constraints", "segments", "variants"].contains($0.key) } }
            let env = environments.first { $0["featureName"] as? String == name }
            flag["enabled"] = env?["enabled"] as? Bool ?? false
            flag["variants"] = env?["variants"] ?? f["variants"] ?? []
            flag["dependencies"] = dependencies.first { $0["feature"] as? String == name }?["dependencies"] ?? []
            flags.append(flag)
        }
        return try TransferRecords.clientFeatures(["version": 1, "features": flags, "segments": root["segments"] ?? []])
    }

    /// A Codable value as JSON objects and arrays.
    static func json<T: Encodable>(_ value: T) -> Any {
        guard let data = try? JSONEncoder().encode(value), let object = try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed) else {
            return NSNull()
        }
        return object
    }
}
