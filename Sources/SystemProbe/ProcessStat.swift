/// The fields InferLab reads from `/proc/<pid>/stat` or `/proc/<pid>/task/<tid>/stat`.
///
/// The command name sits in parentheses and may itself contain spaces and parentheses, so the
/// line is split after the *last* `)`; field numbers follow proc(5).
public struct ProcessStat: Sendable, Codable, Equatable {
    /// Field 1, the process or thread id.
    public var pid: Int32
    /// Field 2, the command name without parentheses.
    public var comm: String
    /// Field 3, one letter: R running, S sleeping, D disk sleep, Z zombie, ...
    public var state: String
    /// Field 10, minor faults.
    public var minflt: UInt64
    /// Field 12, major faults (a page read from disk).
    public var majflt: UInt64
    /// Field 14, user time in clock ticks.
    public var utimeTicks: UInt64
    /// Field 15, system time in clock ticks.
    public var stimeTicks: UInt64
    /// Field 20, the number of threads.
    public var numThreads: Int
    /// Field 22, start time in clock ticks after boot.
    public var startTimeTicks: UInt64
    /// Field 39, the CPU last run on.
    public var processor: Int?
    /// Field 52, the exit status in waitpid(2) form (meaningful for a zombie), when present.
    public var exitCode: Int32?

    enum CodingKeys: String, CodingKey {
        case pid, comm, state, minflt, majflt, processor
        case utimeTicks = "utime_ticks", stimeTicks = "stime_ticks", numThreads = "num_threads"
        case startTimeTicks = "start_time_ticks", exitCode = "exit_code"
    }

    /// The fields `parse` keeps (numbered as in proc(5)), and for each field number up to 52 its
    /// slot among them (-1: not kept).
    private static let wantedFields = [3, 10, 12, 14, 15, 20, 22, 39, 52]
    private static let slots: [Int] = (0...52).map { wantedFields.firstIndex(of: $0) ?? -1 }

    /// Parses the one line of a stat file (byte by byte: threads are parsed at every sample).
    public static func parse(_ text: String) throws -> ProcessStat {
        try ByteText.withBytes(text, parse(bytes:))
    }

    /// Parses the bytes of a stat file (the sampler's path: no `String` of the whole line).
    static func parse(bytes: ByteText.Bytes) throws -> ProcessStat {
        let lparen = UInt8(ascii: "("), rparen = UInt8(ascii: ")")
        var open = 0
        while open < bytes.count, bytes[open] != lparen { open += 1 }
        var close = bytes.count - 1
        while close > open, bytes[close] != rparen { close -= 1 }
        let (pidStart, pidEnd) = ByteText.trim(bytes, 0, min(open, bytes.count))
        guard open < bytes.count, close > open, let rawPid = ByteText.signed(bytes, pidStart, pidEnd),
            let pid = Int32(exactly: rawPid)
        else { throw ProbeError(.malformed, "a /proc stat line has no 'pid (comm)' prefix") }
        // Fields 3... after the last ')'; keep the ranges of the ones read.
        var ranges = [(Int, Int)?](repeating: nil, count: Self.wantedFields.count)
        var number = 3
        ByteText.forEachToken(bytes, close + 1, bytes.count) { start, end in
            let slot = Self.slots[number]
            if slot >= 0 { ranges[slot] = (start, end) }
            number += 1
            return number <= 52
        }
        func range(_ n: Int) -> (Int, Int)? { ranges[Self.slots[n]] }
        func value(_ n: Int) throws -> UInt64 {
            guard let (start, end) = range(n), let value = ByteText.unsigned(bytes, start, end) else {
                throw ProbeError(.malformed, "field \(n) of a /proc stat line is missing or not a number")
            }
            return value
        }
        let processor = range(39).flatMap { ByteText.signed(bytes, $0.0, $0.1) }.flatMap { Int(exactly: $0) }
        let exitCode = range(52).flatMap { ByteText.signed(bytes, $0.0, $0.1) }.flatMap { Int32(exactly: $0) }
        return ProcessStat(
            pid: pid, comm: ByteText.string(bytes, open + 1, close),
            state: range(3).map { ByteText.string(bytes, $0.0, $0.1) } ?? "?", minflt: try value(10),
            majflt: try value(12), utimeTicks: try value(14), stimeTicks: try value(15),
            numThreads: Int(try value(20)), startTimeTicks: try value(22), processor: processor, exitCode: exitCode)
    }
}

/// `/proc/<pid>/schedstat`: time on CPU, time waiting on a run queue, and timeslices.
public struct SchedStat: Sendable, Codable, Equatable {
    /// Nanoseconds spent running.
    public var runNanoseconds: UInt64
    /// Nanoseconds spent runnable but waiting for a CPU.
    public var waitNanoseconds: UInt64
    /// Timeslices run on this CPU.
    public var timeslices: UInt64

    enum CodingKeys: String, CodingKey {
        case runNanoseconds = "run_ns", waitNanoseconds = "wait_ns", timeslices
    }

    /// The figures of several tasks added up (a process's threads); `nil` for none.
    public static func sum(_ items: [SchedStat]) -> SchedStat? {
        guard !items.isEmpty else { return nil }
        return items.reduce(SchedStat(runNanoseconds: 0, waitNanoseconds: 0, timeslices: 0)) {
            SchedStat(
                runNanoseconds: $0.runNanoseconds &+ $1.runNanoseconds,
                waitNanoseconds: $0.waitNanoseconds &+ $1.waitNanoseconds, timeslices: $0.timeslices &+ $1.timeslices)
        }
    }

    /// Parses the three numbers of a schedstat file.
    public static func parse(_ text: String) throws -> SchedStat {
        try ByteText.withBytes(text, parse(bytes:))
    }

    /// Parses the bytes of a schedstat file.
    static func parse(bytes: ByteText.Bytes) throws -> SchedStat {
        var run: UInt64?, wait: UInt64?, slices: UInt64?
        var count = 0
        ByteText.forEachToken(bytes, 0, bytes.count) { start, end in
            let value = ByteText.unsigned(bytes, start, end)
            switch count {
            case 0: run = value
            case 1: wait = value
            default: slices = value
            }
            count += 1
            return count < 3
        }
        guard let run, let wait, let slices else {
            throw ProbeError(.malformed, "a schedstat file does not start with 3 numbers")
        }
        return SchedStat(runNanoseconds: run, waitNanoseconds: wait, timeslices: slices)
    }
}

/// `/proc/<pid>/io`: bytes moved by the process (rchar/wchar include the page cache;
/// read_bytes/write_bytes reached the block layer).
public struct ProcessIO: Sendable, Codable, Equatable {
    public var rchar: UInt64?
    public var wchar: UInt64?
    public var syscr: UInt64?
    public var syscw: UInt64?
    public var readBytes: UInt64?
    public var writeBytes: UInt64?

    enum CodingKeys: String, CodingKey {
        case rchar, wchar, syscr, syscw, readBytes = "read_bytes", writeBytes = "write_bytes"
    }

    /// Parses the "key: value" lines; missing keys stay `nil`.
    public static func parse(_ text: String) -> ProcessIO {
        let fields = KeyedText.colonSeparated(
            text, keys: ["rchar", "wchar", "syscr", "syscw", "read_bytes", "write_bytes"])
        return ProcessIO(
            rchar: KeyedText.number(fields["rchar"]), wchar: KeyedText.number(fields["wchar"]),
            syscr: KeyedText.number(fields["syscr"]), syscw: KeyedText.number(fields["syscw"]),
            readBytes: KeyedText.number(fields["read_bytes"]), writeBytes: KeyedText.number(fields["write_bytes"]))
    }
}
