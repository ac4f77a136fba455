import ArgumentParser
import Foundation

/// Entry point: parses arguments with swift-argument-parser; a bad argument or configuration
/// prints one message naming it and exits with code 2.
@main
enum Main {
    static func main() {
        do {
            var command = try StreamHub.parseAsRoot()
            try command.run()
        } catch let e as CLIError {
            FileHandle.standardError.write(Data("streamhub: \(e.message)\n".utf8))
            exit(e.code)
        } catch {
            let code = StreamHub.exitCode(for: error)
            if code == .success {
                print(StreamHub.fullMessage(for: error))
                exit(0)
            }
            // One line naming the argument; `--help` has the usage.
            FileHandle.standardError.write(Data("streamhub: \(StreamHub.message(for: error)) (see --help)\n".utf8))
            exit(2)
        }
    }
}

struct StreamHub: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streamhub",
        abstract: "A real-time market-data hub: venue feeds in, filtered WebSocket channels out.",
        subcommands: [
            Serve.self, CheckConfig.self, Migrate.self, Users.self, Import.self, Export.self, Token.self, Record.self, Replay.self, Top.self,
        ],
        defaultSubcommand: Serve.self)
}

/// A failure with its exit code (2: bad input; 1: runtime failure).
struct CLIError: Error {
    let message: String
    var code: Int32 = 2
}
