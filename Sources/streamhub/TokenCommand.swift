import ArgumentParser
import Foundation
import HubAuth
import HubServer

/// `streamhub token --user NAME --ttl 15m`: prints an access token for a local user, signed
/// with the configured secret (the same as the hub's), on standard output.
struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print an access token (JWT) for a user.")

    @Option(help: "Username.") var user: String
    @Option(help: "Lifetime: 90s, 15m, 12h, 7d or seconds (10 s to 30 d).") var ttl: Lifetime = Lifetime(seconds: 900)
    @OptionGroup var options: ConfigOptions

    func run() throws {
        let (config, store) = try openStore(options, needsSecret: true)
        let account = try findUser(store, user)
        guard !account.disabled else { throw CLIError(message: "user '\(user)' is disabled") }
        let tokens: TokenService
        do {
            tokens = try IdentitySetup.tokenService(config.auth)
        } catch {
            throw CLIError(message: "\(error)")
        }
        let seconds = ttl.seconds
        let jwt = try blocking { try await tokens.issue(subject: "\(account.id)", lifetime: seconds).token }
        print(jwt)
    }
}

/// A duration argument: `90s`, `15m`, `12h`, `7d` or plain seconds.
struct Lifetime: ExpressibleByArgument {
    let seconds: Double

    init(seconds: Double) { self.seconds = seconds }

    init?(argument: String) {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var text = Substring(argument)
        var unit = 1.0
        if let last = text.last, let u = units[last] {
            unit = u
            text = text.dropLast()
        }
        guard let n = Double(text), n.isFinite else { return nil }
        let s = n * unit
        guard (10...(30 * 86_400)).contains(s) else { return nil }
        seconds = s
    }
}
