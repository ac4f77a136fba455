import ArgumentParser
import Foundation
import HubServer
import Logging
import Venues

/// Options shared by the commands that read a configuration. Given options override the file.
struct ConfigOptions: ParsableArguments {
    @Option(help: "Configuration file (YAML).")
    var config = "config/streamhub.yaml"

    @Option(help: "Address to listen on (overrides server.host; default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on, 0 for any free port (overrides server.port; default 8080).")
    var port: Int?

    @Option(name: .customLong("data-dir"), help: "Directory for control-plane data (overrides server.dataDir; default data/).")
    var dataDir: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: LogLevel = .info

    func validate() throws {
        if let port, !(0...65535).contains(port) {
            throw ValidationError("--port must be between 0 and 65535")
        }
        if let host, host.isEmpty { throw ValidationError("--host must not be empty") }
        if let dataDir, dataDir.isEmpty { throw ValidationError("--data-dir must not be empty") }
    }

    /// The configuration file with the command line applied, validated, data directory created.
    /// `needsSecret`: the command signs or verifies tokens, so `auth.jwtSecret` must be set.
    func resolve(needsSecret: Bool = false) throws -> HubConfig {
        var c: HubConfig
        do {
            c = try ConfigLoader.load(path: config, venues: VenueRegistry.all)
            if needsSecret { try ConfigLoader.requireSecret(c) }
        } catch var e {
            e.file = e.file ?? config
            throw CLIError(message: "\(e)")
        }
        if let host { c.server.host = host }
        if let port { c.server.port = port }
        if let dataDir { c.server.dataDir = dataDir }
        do {
            // Owner-only: the store and any recordings hold credentials' digests and venue traffic.
            try FileManager.default.createDirectory(
                atPath: c.server.dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            // One made by an earlier version (or by hand) is tightened too.
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: c.server.dataDir)
        } catch {
            throw CLIError(message: "server.dataDir (--data-dir): cannot create \(c.server.dataDir): \(error.localizedDescription)")
        }
        return c
    }
}

struct LogLevel: ExpressibleByArgument {
    let level: Logger.Level
    static let info = LogLevel(level: .info)
    private init(level: Logger.Level) { self.level = level }
    init?(argument: String) {
        guard let l = Logger.Level(rawValue: argument) else { return nil }
        level = l
    }
}
