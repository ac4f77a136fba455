import Foundation

/// The controlling terminal for a full-screen view: raw keys (no echo, no line buffering), the
/// alternate screen, the window size. `restore()` puts it back (also on SIGINT/SIGTERM, through
/// the caller's signal handling).
final class Terminal {
    private var saved = termios()
    private var raw = false

    /// Standard output is a terminal (else `top` prints plain text once).
    static var isInteractive: Bool { isatty(STDOUT_FILENO) == 1 && isatty(STDIN_FILENO) == 1 }

    func enter() {
        guard tcgetattr(STDIN_FILENO, &saved) == 0 else { return }
        var t = saved
        t.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &t.c_cc) { cc in
            cc[Int(VMIN)] = 0  // reads return at once: the refresh loop polls
            cc[Int(VTIME)] = 0
        }
        tcsetattr(STDIN_FILENO, TCSANOW, &t)
        raw = true
        write("\u{1B}[?1049h\u{1B}[?25l")  // alternate screen, cursor hidden
    }

    func restore() {
        write("\u{1B}[?25h\u{1B}[?1049l")
        if raw { tcsetattr(STDIN_FILENO, TCSANOW, &saved) }
        raw = false
    }

    /// Columns and rows (80×24 when the size cannot be read).
    var size: (width: Int, height: Int) {
        var w = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &w) == 0, w.ws_col > 0, w.ws_row > 0 else { return (80, 24) }
        return (Int(w.ws_col), Int(w.ws_row))
    }

    /// Waits up to `seconds` for a key; nil when none came.
    func key(within seconds: Double) -> Character? {
        var fds = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&fds, 1, Int32(seconds * 1000)) > 0 else { return nil }
        var byte: UInt8 = 0
        guard read(STDIN_FILENO, &byte, 1) == 1 else { return nil }
        return Character(UnicodeScalar(byte))
    }

    /// Replaces the screen with `lines` (headings in bold).
    func draw(_ lines: [String]) {
        var out = "\u{1B}[H\u{1B}[2J"
        for (i, line) in lines.enumerated() {
            let heading = i == 0 || (line.first?.isUppercase == true && line.first?.isLetter == true)
            out += heading ? "\u{1B}[1m\(line)\u{1B}[0m" : line
            out += "\r\n"
        }
        write(out)
    }

    private func write(_ s: String) {
        FileHandle.standardOutput.write(Data(s.utf8))
    }
}
