import ArgumentParser
import Foundation
import HubAuth
import HubServer
import HubStore
import Logging

/// `streamhub users add|list|role|disable|enable`: accounts in the store of `--data-dir`. A
/// running hub picks the change up within a second (it watches the audit log).
struct Users: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage users in the control-plane store (the same one `serve` uses).",
        subcommands: [Add.self, List.self, Role.self, Disable.self, Enable.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user; prints its API key with --key.")
        @Argument(help: "Username (A-Z a-z 0-9 . _ @ -, up to 64).") var username: String
        @Option(name: .customLong("role"), help: "A role to give (repeat for several).") var roles: [String] = []
        @Option(name: .customLong("display-name")) var displayName: String?
        @Flag(name: .customLong("password-stdin"), help: "Read a password (12+ characters) from the first line of standard input.") var passwordStdin = false
        @Flag(help: "Create an API key and print it (shown once).") var key = false
        @OptionGroup var options: ConfigOptions

        func run() throws {
            let (config, store) = try openStore(options)
            var hash: String?
            if passwordStdin {
                guard let line = readLine(strippingNewline: true), line.count >= 12 else {
                    throw CLIError(message: "--password-stdin: the password must have at least 12 characters")
                }
                hash = try Passwords.hash(line, rounds: config.auth.passwordRounds)
            }
            let user = try storeCall { try store.insertUser(username: username, displayName: displayName, passwordHash: hash, roles: roles, actor: "cli") }
            print("created user \(user.username) (id \(user.id)), roles: \(user.roles.isEmpty ? "none" : user.roles.joined(separator: ", "))")
            if key {
                let k = APIKey.generate()
                let expires = Date().addingTimeInterval(config.auth.apiKeyDays * 86_400)
                _ = try storeCall { try store.insertAPIKey(id: k.id, userID: user.id, name: "cli", digest: k.digest, expiresAt: expires, actor: "cli") }
                print("API key (shown once): \(k.text)")
            }
        }

        func validate() throws {
            guard (1...64).contains(username.utf8.count),
                username.utf8.allSatisfy({
                    $0 < 0x80 && (Character(UnicodeScalar($0)).isLetter || Character(UnicodeScalar($0)).isNumber || "._@-".utf8.contains($0))
                })
            else {
                throw ValidationError("username must be 1 to 64 of A-Z a-z 0-9 . _ @ -")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users: id, username, state, roles.")
        @OptionGroup var options: ConfigOptions

        func run() throws {
            let (_, store) = try openStore(options)
            let (users, _) = try storeCall { try store.users(limit: Int(Int32.max), offset: 0) }
            for u in users {
                print("\(u.id)\t\(u.username)\t\(u.disabled ? "disabled" : "enabled")\t\(u.roles.joined(separator: ","))")
            }
        }
    }

    struct Role: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give a user a role (or take it with --remove).")
        @Argument var username: String
        @Argument var role: String
        @Flag var remove = false
        @OptionGroup var options: ConfigOptions

        func run() throws {
            let (_, store) = try openStore(options)
            let user = try findUser(store, username)
            let after = try storeCall {
                remove ? try store.removeRole(userID: user.id, role: role, actor: "cli") : try store.assignRole(userID: user.id, role: role, actor: "cli")
            }
            print("\(after.username): \(after.roles.isEmpty ? "no roles" : after.roles.joined(separator: ", "))")
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user: its sessions close (4003), its tokens stop working.")
        @Argument var username: String
        @OptionGroup var options: ConfigOptions

        func run() throws { try setDisabled(options, username, true) }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user again.")
        @Argument var username: String
        @OptionGroup var options: ConfigOptions

        func run() throws { try setDisabled(options, username, false) }
    }
}

private func setDisabled(_ options: ConfigOptions, _ username: String, _ disabled: Bool) throws {
    let (_, store) = try openStore(options)
    let user = try findUser(store, username)
    _ = try storeCall { try store.updateUser(id: user.id, disabled: disabled, actor: "cli") }
    print("\(user.username): \(disabled ? "disabled" : "enabled")")
}

/// The configuration and its store (migrated; default roles seeded on first use).
func openStore(_ options: ConfigOptions, needsSecret: Bool = false) throws -> (HubConfig, HubStore) {
    let config = try options.resolve(needsSecret: needsSecret)
    var logger = Logger(label: "streamhub")
    logger.logLevel = .warning
    do {
        return (config, try IdentitySetup.openStore(config, logger: logger))
    } catch {
        throw CLIError(message: "\(error)", code: 1)
    }
}

func findUser(_ store: HubStore, _ username: String) throws -> UserAccount {
    guard let user = try storeCall({ try store.user(named: username) }) else { throw CLIError(message: "no user '\(username)'") }
    return user
}

/// Store failures as CLI errors: the caller's mistakes (unknown, duplicate) exit 2, others 1.
func storeCall<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as StoreError {
        switch e {
        case .duplicate, .notFound, .conflict, .refused: throw CLIError(message: "\(e)")
        default: throw CLIError(message: "\(e)", code: 1)
        }
    }
}
