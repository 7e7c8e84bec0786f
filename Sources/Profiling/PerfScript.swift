/// One sample of `perf script` (fields `comm,tid,time,period,ip,sym,dso`): the thread, its
/// weight, and the call chain from the leaf up.
public struct PerfSample: Sendable, Equatable {
    public struct Frame: Sendable, Equatable {
        /// The function, or `[unknown]`.
        public var symbol: String
        /// The object it is in (the file name, without the directory).
        public var object: String

        public init(symbol: String, object: String) {
            self.symbol = symbol
            self.object = object
        }

        /// The name a folded stack uses: the function, or the object where perf has no symbol.
        public var name: String { symbol == "[unknown]" && object != "[unknown]" ? "[\(object)]" : symbol }
    }

    public var thread: String
    public var tid: Int32
    /// perf's timestamp in seconds.
    public var time: Double
    /// The sample's weight (cpu-clock: nanoseconds).
    public var period: UInt64
    /// Leaf first.
    public var frames: [Frame]

    public init(thread: String, tid: Int32, time: Double, period: UInt64, frames: [Frame]) {
        self.thread = thread
        self.tid = tid
        self.time = time
        self.period = period
        self.frames = frames
    }
}

/// Reads `perf script -F comm,tid,time,period,ip,sym,dso` text.
public enum PerfScript {
    /// The samples of `text`; lines that are neither a sample header nor a frame are skipped.
    public static func parse(_ text: String) -> [PerfSample] {
        var samples: [PerfSample] = []
        var current: PerfSample?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty {
                if let sample = current { samples.append(sample) }
                current = nil
            } else if line.first == "\t" || line.first == " " {
                guard current != nil, let frame = frame(line) else { continue }
                current?.frames.append(frame)
            } else {
                if let sample = current { samples.append(sample) }
                current = header(line)
            }
        }
        if let sample = current { samples.append(sample) }
        return samples
    }

    /// `comm tid time: period` (the thread name may hold spaces).
    static func header(_ line: Substring) -> PerfSample? {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count >= 4, let period = UInt64(words[words.count - 1]),
            words[words.count - 2].hasSuffix(":"), let time = Double(words[words.count - 2].dropLast()),
            let tid = Int32(words[words.count - 3])
        else { return nil }
        return PerfSample(
            thread: words[..<(words.count - 3)].joined(separator: " "), tid: tid, time: time, period: period,
            frames: [])
    }

    /// `\t address symbol (object)`; the symbol may hold spaces (C++ signatures).
    static func frame(_ line: Substring) -> PerfSample.Frame? {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard let space = trimmed.firstIndex(of: " ") else { return nil }
        var rest = trimmed[trimmed.index(after: space)...]
        var object = "[unknown]"
        if rest.hasSuffix(")"), let open = rest.lastIndex(of: "(") {
            let path = rest[rest.index(after: open)..<rest.index(before: rest.endIndex)]
            object = String(path.split(separator: "/").last ?? path[...])
            rest = rest[..<open]
        }
        let symbol = rest.trimmingCharacters(in: [" "])
        return PerfSample.Frame(symbol: symbol.isEmpty ? "[unknown]" : symbol, object: object)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
