import ArgumentParser
import Foundation
import HubServer
import HubStore

extension TransferKind: ExpressibleByArgument {}
extension TransferFormat: ExpressibleByArgument {}

/// `streamhub import users|roles|properties|flags FILE`: upserts every record of the file into
/// the store of `--data-dir` in one transaction — or, with a problem anywhere (each named by
/// record and field) or `--dry-run`, writes nothing and says what it would do. A running hub
/// picks up users, roles and flags within a second (it watches the audit log); imported
/// properties apply when it starts (or import them over REST: `POST /api/properties/import`).
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import users, roles, properties or flags from a file (JSON, CSV, Unleash client or admin export).",
        discussion: "Exit codes: 0 written (or dry run without problems), 3 records with problems (nothing written), 2 bad arguments or file, 1 store failure.")

    @Argument(help: "users, roles, properties or flags.") var kind: TransferKind
    @Argument(help: "The file to read (- for standard input).") var file: String
    @Option(help: "json or csv (users, roles); json (properties); client or admin (flags, Unleash's formats). Default: the first.")
    var format: TransferFormat?
    @Flag(name: .customLong("dry-run"), help: "Check everything and print what would change; write nothing.") var dryRun = false
    @Option(help: "The Unleash environment to read from an admin export (default: the export's only environment).")
    var environment: String?
    @OptionGroup var options: ConfigOptions

    func validate() throws {
        if let format, !kind.formats.contains(format) {
            throw ValidationError("\(kind.rawValue) are imported as \(kind.formats.map(\.rawValue).joined(separator: " or ")), not \(format.rawValue)")
        }
    }

    func run() throws {
        let data: Data
        do {
            data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw CLIError(message: "cannot read \(file): \(error.localizedDescription)")
        }
        let (config, store) = try openStore(options)
        let report: Transfer.Report
        do {
            report = try Transfer.run(
                kind, format ?? kind.formats[0], data, store: store, actor: "cli", dryRun: dryRun, environment: environment,
                setupDays: config.auth.passwordSetupDays)
        } catch let e as TransferInputError {
            throw CLIError(message: "\(file): \(e.description)")
        } catch {
            throw CLIError(message: "\(error)", code: 1)
        }
        print(report.text)
        if !report.problems.isEmpty { throw CLIError(message: "\(file): \(report.problems.count) record(s) cannot be imported; nothing was written", code: 3) }
    }
}

/// `streamhub export users|roles|properties|flags`: every stored record, to standard output or
/// `--output` — users without API keys, passwords only as hashes.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Export users, roles, properties or flags (JSON, CSV, Unleash client or admin export).")

    @Argument(help: "users, roles, properties or flags.") var kind: TransferKind
    @Option(help: "json or csv (users, roles); json (properties); client or admin (flags). Default: the first.") var format: TransferFormat?
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?
    @Option(help: "The Unleash environment an admin export is written for (default: flags.environment).") var environment: String?
    @OptionGroup var options: ConfigOptions

    func validate() throws {
        if let format, !kind.formats.contains(format) {
            throw ValidationError("\(kind.rawValue) are exported as \(kind.formats.map(\.rawValue).joined(separator: " or ")), not \(format.rawValue)")
        }
    }

    func run() throws {
        let (config, store) = try openStore(options)
        let data: Data
        do {
            data = try Transfer.export(kind, format ?? kind.formats[0], store: store, environment: environment ?? config.flags.environment)
        } catch {
            throw CLIError(message: "\(error)", code: 1)
        }
        guard let output else {
            FileHandle.standardOutput.write(data)
            if data.last != 0x0A { FileHandle.standardOutput.write(Data("\n".utf8)) }
            return
        }
        // Owner-only: a users export carries password hashes.
        guard FileManager.default.createFile(atPath: output, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CLIError(message: "cannot write \(output)", code: 1)
        }
        try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: output)
    }
}
