import ArgumentParser
import HubStore

/// `streamhub migrate up|down|status`: the control-plane schema in `--data-dir`.
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply (up), roll back the last (down) or list (status) control-plane migrations.")

    enum Action: String, ExpressibleByArgument, CaseIterable { case up, down, status }

    @Argument(help: "up, down or status.") var action: Action
    @OptionGroup var options: ConfigOptions

    func run() throws {
        let config = try options.resolve()
        let store: HubStore
        do {
            store = try HubStore(dataDirectory: config.server.dataDir)
        } catch {
            throw CLIError(message: "server.dataDir (--data-dir): \(error)", code: 1)
        }
        do {
            switch action {
            case .up:
                let before = try store.migrationStatus().filter { !$0.applied }.map(\.id)
                try store.migrate()
                print(before.isEmpty ? "up to date (\(store.path))" : "applied: \(before.joined(separator: ", "))")
            case .down:
                if let id = try store.rollbackLast() {
                    print("rolled back: \(id)")
                } else {
                    print("nothing to roll back")
                }
            case .status:
                for m in try store.migrationStatus() { print("\(m.applied ? "applied" : "pending")  \(m.id)") }
            }
        } catch {
            throw CLIError(message: "\(error)", code: 1)
        }
    }
}
