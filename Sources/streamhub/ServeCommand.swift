import ArgumentParser
import Foundation
import HubAuth
import HubCore
import HubServer
import Logging
import Venues
import WebSocketLoop

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the hub: feeds, pipeline, WebSocket and HTTP on one port.")

    @OptionGroup var options: ConfigOptions

    func run() throws {
        ShutdownSignals.block()  // before any thread starts: SIGTERM must reach the graceful path
        let config = try options.resolve(needsSecret: true)
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = options.logLevel.level
            return h
        }
        let logger = Logger(label: "streamhub")
        let demo: Demo
        do {
            demo = try Demo.make(config, logger: logger)
        } catch let e as LoopError {
            throw CLIError(message: "\(e) (server.host/server.port, or --host/--port)", code: 2)
        } catch let e as DefinitionError {
            throw CLIError(message: "property definitions: \(e)", code: 2)
        } catch let e as AuthSetupError {
            throw CLIError(message: "auth: \(e)", code: 2)
        } catch {
            throw CLIError(message: "\(error)", code: 1)
        }
        let server = demo.server
        if let admin = server.bootstrapAdmin {
            if let key = admin.generatedKey {
                print(
                    """
                    First start: created user '\(admin.username)' with the admin role.
                    Its API key, shown this once - keep it safe:
                      \(key)
                    Exchange it for a token: POST /api/auth/token {"apiKey":"…"}
                    """)
                fflush(nil)  // piped output is block-buffered; the key must not wait for exit
            } else {
                logger.notice("first start: created user '\(admin.username)' with the API key from auth.bootstrapAdminKey")
            }
        }
        ShutdownSignals.install { sig in
            logger.info("signal received", metadata: ["signal": "\(sig)"])
            server.shutdown()
        }
        logger.info("listening", metadata: server.listeningMetadata)
        do {
            try demo.run()
        } catch {
            throw CLIError(message: "\(error)", code: 2)
        }
        logger.info("stopped")
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-config", abstract: "Validate a configuration file and exit.")

    @OptionGroup var options: ConfigOptions

    func run() throws {
        ShutdownSignals.block()  // before any thread starts: SIGTERM must reach the graceful path
        let config = try options.resolve(needsSecret: true)
        // What `serve` reads at start too: a venue's key files.
        for v in VenueRegistry.all {
            do { _ = try v.feed(in: config.feeds.venues) } catch { throw CLIError(message: "\(options.config): \(error)") }
        }
        let on = VenueRegistry.all.filter { config.feeds.venues.enabled($0) }.map(\.id)
        print("ok: \(options.config) (server \(config.server.host):\(config.server.port), feeds: \(on.isEmpty ? "none" : on.joined(separator: ", ")))")
    }
}
