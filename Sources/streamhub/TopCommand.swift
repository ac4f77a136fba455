import ArgumentParser
import Foundation

/// `streamhub top`: a full-screen view of a running hub, refreshed every second — sources with
/// state and rate, stage latency, connections, firing alerts, the busiest channels. Keys: `s`
/// sorts sources, `c` sorts channels, `q` quits. With `--once`, or when standard output is not a
/// terminal, prints the view once as plain text.
struct Top: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Watch a running hub: sources, stage latency, connections, alerts, top channels.")

    @Option(help: "The hub's HTTP address.") var url = "http://127.0.0.1:8080"
    @Option(help: "An access token (Bearer).") var token: String?
    @Option(help: "An API key (shk_…), exchanged for tokens as needed.") var apiKey: String?
    @Flag(help: "Print the view once as plain text and exit.") var once = false
    @Option(help: "Seconds between refreshes (0.2–60).") var interval = 1.0

    func validate() throws {
        if token != nil && apiKey != nil { throw ValidationError("give --token or --api-key, not both") }
        if !(0.2...60).contains(interval) { throw ValidationError("--interval must be between 0.2 and 60") }
    }

    func run() throws {
        let http = try HubHTTP(url: url, token: token, apiKey: apiKey)
        var screen = TopScreen()
        guard !once && Terminal.isInteractive else {
            let snapshot = TopSnapshot.read(http, withChannels: true, previous: nil)
            for line in screen.lines(snapshot, url: url, width: 160, height: 200) { print(line) }
            if let error = snapshot.error { throw CLIError(message: error, code: 1) }
            return
        }
        let terminal = Terminal()
        terminal.enter()
        defer { terminal.restore() }
        // SIGINT and SIGTERM end the loop like `q`, so the terminal is restored.
        let stop = StopFlag()
        let signals = [SIGINT, SIGTERM].map { sig -> DispatchSourceSignal in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stop.set() }
            source.resume()
            return source
        }
        defer { for s in signals { s.cancel() } }
        var snapshot = TopSnapshot()
        var lastChannels = Date.distantPast
        func redraw() {
            let size = terminal.size
            terminal.draw(screen.lines(snapshot, url: url, width: size.width, height: size.height - 2) + ["", "q quit · s sort sources · c sort channels"])
        }
        while !stop.isSet {
            // The busiest channels every 5 s (each read rolls usage up in the hub's store).
            let withChannels = Date().timeIntervalSince(lastChannels) >= 5
            if withChannels { lastChannels = Date() }
            snapshot = TopSnapshot.read(http, withChannels: withChannels, previous: snapshot)
            redraw()
            let deadline = Date().addingTimeInterval(interval)
            while !stop.isSet, deadline.timeIntervalSinceNow > 0 {
                switch terminal.key(within: min(0.1, max(0, deadline.timeIntervalSinceNow))) {
                case "q", "Q": stop.set()
                case "s":
                    screen.nextSourceOrder()
                    redraw()
                case "c":
                    screen.nextChannelOrder()
                    redraw()
                default: break
                }
            }
        }
    }
}

/// Set from a signal handler's queue, read by the refresh loop.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
