import Foundation

/// Shows how transfers advance, on standard error in the command (a collector in tests): on a
/// terminal one bar per transfer, redrawn in place (bytes, percent, speed, time left); otherwise
/// plain lines, one every 10 % or every 2 seconds, and one when a transfer is done.
public actor ProgressDisplay {
    /// How progress is written.
    public enum Style: Sendable {
        /// Bars redrawn with `\r` and ANSI cursor moves, for a terminal.
        case terminal
        /// Plain lines, for a log or a pipe.
        case plain
        /// Nothing.
        case silent
    }

    /// One transfer's state.
    private struct Transfer {
        let name: String
        let total: Int64
        var done: Int64
        let startBytes: Int64
        let started: ContinuousClock.Instant
        var lastLine: ContinuousClock.Instant
        var lastTenth: Int64
        var finished = false
    }

    private let style: Style
    private let sink: @Sendable (String) -> Void
    private let clock = ContinuousClock()
    private var transfers: [Transfer] = []
    private var linesDrawn = 0
    private var lastDraw: ContinuousClock.Instant?

    /// Writes to `sink` in `style`.
    public init(style: Style, sink: @escaping @Sendable (String) -> Void) {
        self.style = style
        self.sink = sink
    }

    /// Adds a transfer of `total` bytes, `done` of them already there (a resumed transfer).
    public func start(_ name: String, total: Int64, done: Int64 = 0) -> Int {
        let now = clock.now
        transfers.append(Transfer(
            name: name, total: total, done: done, startBytes: done, started: now, lastLine: now,
            lastTenth: total > 0 ? done * 10 / total : 0))
        if style == .terminal { draw(force: true) }
        return transfers.count - 1
    }

    /// Sets how many bytes of transfer `id` are there; going back (a resume from the server's
    /// offset) is allowed.
    public func update(_ id: Int, done: Int64) {
        transfers[id].done = min(done, transfers[id].total)
        report(id)
    }

    /// Counts `bytes` more for transfer `id`.
    public func advance(_ id: Int, by bytes: Int) {
        update(id, done: transfers[id].done + Int64(bytes))
    }

    /// Marks transfer `id` done.
    public func finish(_ id: Int) {
        transfers[id].done = transfers[id].total
        transfers[id].finished = true
        switch style {
        case .terminal: draw(force: true)
        case .plain:
            let transfer = transfers[id]
            let seconds = Self.seconds(clock.now - transfer.started)
            sink("\(transfer.name): done, \(Self.bytes(transfer.total)) in \(String(format: "%.1f", seconds)) s\n")
        case .silent: break
        }
    }

    /// Writes `message` (a retry, say) on a line of its own, above the bars on a terminal.
    public func note(_ message: String) {
        switch style {
        case .terminal:
            sink((linesDrawn > 0 ? "\u{1B}[\(linesDrawn)A\r\u{1B}[J" : "") + message + "\n")
            linesDrawn = 0
            if !transfers.isEmpty { draw(force: true) }
        case .plain: sink(message + "\n")
        case .silent: break
        }
    }

    private func report(_ id: Int) {
        switch style {
        case .terminal: draw(force: false)
        case .plain:
            let now = clock.now
            let transfer = transfers[id]
            let tenth = transfer.total > 0 ? transfer.done * 10 / transfer.total : 10
            guard tenth > transfer.lastTenth || now - transfer.lastLine >= .seconds(2) else { return }
            transfers[id].lastTenth = max(tenth, transfer.lastTenth)
            transfers[id].lastLine = now
            sink(line(transfer, now: now) + "\n")
        case .silent: break
        }
    }

    /// Redraws every bar, at most ten times a second unless `force`d.
    private func draw(force: Bool) {
        let now = clock.now
        if !force, let lastDraw, now - lastDraw < .milliseconds(100) { return }
        lastDraw = now
        var text = linesDrawn > 0 ? "\u{1B}[\(linesDrawn)A" : ""
        for transfer in transfers {
            text += "\r\u{1B}[2K" + bar(transfer) + " " + line(transfer, now: now, nameWidth: 30) + "\n"
        }
        linesDrawn = transfers.count
        sink(text)
    }

    private func bar(_ transfer: Transfer) -> String {
        let width = 20
        let filled = transfer.total > 0 ? Int(transfer.done * Int64(width) / transfer.total) : width
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }

    /// `name: 42% (1.2 GiB of 3.0 GiB, 85.3 MiB/s, 0:21 left)`, the name cut to `nameWidth`
    /// characters (a bar that wraps would break the redrawing).
    private func line(_ transfer: Transfer, now: ContinuousClock.Instant, nameWidth: Int = .max) -> String {
        let percent = transfer.total > 0 ? transfer.done * 100 / transfer.total : 100
        let seconds = Self.seconds(now - transfer.started)
        let speed = seconds > 0.05 ? Double(transfer.done - transfer.startBytes) / seconds : 0
        var details = "\(Self.bytes(transfer.done)) of \(Self.bytes(transfer.total))"
        if transfer.finished {
            details += ", done"
        } else if speed > 0 {
            let left = Int(Double(transfer.total - transfer.done) / speed)
            details += ", \(Self.bytes(Int64(speed)))/s, \(left / 60):\(String(format: "%02d", left % 60)) left"
        }
        let name = transfer.name.count > nameWidth ? String(transfer.name.prefix(nameWidth - 1)) + "…" : transfer.name
        return "\(name): \(percent)% (\(details))"
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// `512 B`, `1.5 KiB`, `3.2 GiB`.
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f ", value) + units[unit]
    }
}
