import ArgumentParser
import HubStore

/// `streamhub migrate up|down|status|check`: the control-plane schema in `--data-dir` (or `store.postgres`).
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply (up), roll back the last (down) or list (status) control-plane migrations, or check the store's integrity (check).")

    enum Action: String, ExpressibleByArgument, CaseIterable { case up, down, status, check }

    @Argument(help: "up, down, status or check.") var action: Action
    @OptionGroup var options: ConfigOptions

    func run() throws {
        let config = try options.resolve()
        let store: HubStore
        do {
            store = try config.openStore()
        } catch {
            throw CLIError(message: "\(config.store.postgres.isEmpty ? "server.dataDir (--data-dir)" : "store.postgres"): \(error)", code: 1)
        }
        do {
            switch action {
            case .up:
                let before = try store.migrationStatus().filter { !$0.applied }.map(\.id)
                try store.migrate()
                print(before.isEmpty ? "up to date (\(store.location))" : "applied: \(before.joined(separator: ", "))")
            case .down:
                if let id = try store.rollbackLast() {
                    print("rolled back: \(id)")
                } else {
                    print("nothing to roll back")
                }
            case .status:
                for m in try store.migrationStatus() { print("\(m.applied ? "applied" : "pending")  \(m.id)") }
            case .check:
                let problems = try store.integrityProblems()
                guard problems.isEmpty else {
                    throw CLIError(message: "\(store.location): \(problems.count) problem(s):\n" + problems.prefix(20).joined(separator: "\n"), code: 1)
                }
                print("ok (\(store.location))")
            }
        } catch let e as CLIError {
            throw e
        } catch {
            throw CLIError(message: "\(error)", code: 1)
        }
    }
}
