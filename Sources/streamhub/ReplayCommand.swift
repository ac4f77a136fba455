import ArgumentParser
import Foundation
import HubServer
import Logging
import Venues

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Push recordings through the pipeline (bulk import): capture lines (TIMESTAMP: JSON) or `streamhub record` JSON Lines.",
        discussion: """
            Several files are merged in time order (a WebSocket capture with its REST snapshots). Values go through \
            validation (quarantine), enrichment and into channels, history and Redis when redis.url is set. The \
            venue's feed settings come from the configuration (e.g. feeds.polymarket.assets names the tokens).
            """)

    @OptionGroup var options: ConfigOptions

    @Option(help: "The venue that recorded the files: \(VenueRegistry.ids.joined(separator: ", ")).")
    var venue: String

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @Flag(help: "No progress bar.")
    var quiet = false

    @Argument(help: "Recording files.")
    var files: [String]

    func validate() throws {
        guard VenueRegistry.ids.contains(venue) else {
            throw ValidationError("--venue must be one of \(VenueRegistry.ids.joined(separator: ", ")), not '\(venue)'")
        }
        guard !files.isEmpty else { throw ValidationError("name at least one recording file") }
    }

    func run() throws {
        let config = try options.resolve()
        for f in files where !FileManager.default.isReadableFile(atPath: f) { throw CLIError(message: "\(f): cannot read the file", code: 2) }
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = options.logLevel.level
            return h
        }
        let replayer: Replayer
        do {
            replayer = try Replayer(config: config, venues: VenueRegistry.all)
        } catch {
            throw CLIError(message: "\(error)", code: 1)
        }
        let bar = ProgressBar(enabled: !quiet)
        let summary: Replayer.Summary
        do {
            summary = try replayer.replay(files: files, venue: venue) { bar.show($0) }
        } catch {
            bar.end()
            throw CLIError(message: "\(error)", code: 1)
        }
        bar.end()
        replayer.finish()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(Self.describe(summary))
        }
    }

    static func describe(_ s: Replayer.Summary) -> String {
        func n<T: BinaryInteger>(_ v: T) -> String {
            // Thousands grouped with commas, whatever the locale.
            var digits = Array(String(v)), out = ""
            while digits.count > 3 {
                out = "," + String(digits.suffix(3)) + out
                digits.removeLast(3)
            }
            return String(digits) + out
        }
        return """
            replayed \(s.files.joined(separator: ", ")) (\(s.venue)) in \(String(format: "%.2f", s.seconds)) s — \(n(Int(s.framesPerSecond))) frames/s
              frames         \(n(s.frames)) received, \(n(s.sentFrames)) sent, \(n(s.httpResponses)) HTTP responses, \(n(s.connections)) connections
              ticks          \(n(s.ticks)) published on \(n(s.channels)) channels (\(n(s.events)) decoded events)
              quarantined    \(n(s.quarantined)) values
              errors         \(n(s.decodeErrors)) decode errors, \(n(s.unreadableLines)) unreadable lines
              sequence       \(n(s.gaps)) gaps, \(n(s.resyncs)) resyncs; feed \(s.feedState)\(s.lastError.map { " (last error: \($0))" } ?? "")
            """
    }
}

/// A one-line progress bar on standard error, redrawn in place on a terminal; elsewhere (a log,
/// CI) a line at every 10 %.
final class ProgressBar {
    private let enabled: Bool
    private let tty = isatty(2) != 0
    private var lastDecile = -1
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ p: Replayer.Progress) {
        guard enabled else { return }
        let fraction = p.totalBytes > 0 ? min(1, Double(p.bytesRead) / Double(p.totalBytes)) : 1
        let text = String(format: "%3.0f%% %@ frames, %@ ticks", fraction * 100, "\(p.frames)", "\(p.ticks)")
        if tty {
            let width = 30, done = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: done) + String(repeating: "-", count: width - done)
            FileHandle.standardError.write(Data("\r[\(bar)] \(text)".utf8))
            drawn = true
        } else if Int(fraction * 10) > lastDecile {
            lastDecile = Int(fraction * 10)
            FileHandle.standardError.write(Data("replay: \(text)\n".utf8))
        }
    }

    func end() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
