/// The `/proc/vmstat` counters InferLab uses. Missing keys are `nil`.
public struct VMStat: Sendable, Codable, Equatable {
    public var pgfault: UInt64?
    public var pgmajfault: UInt64?
    public var pswpin: UInt64?
    public var pswpout: UInt64?
    public var workingsetRefaultFile: UInt64?
    public var pgscanDirect: UInt64?
    /// `allocstall`, or the sum of the per-zone `allocstall_*` counters of newer kernels.
    public var allocstall: UInt64?

    enum CodingKeys: String, CodingKey {
        case pgfault, pgmajfault, pswpin, pswpout, allocstall
        case workingsetRefaultFile = "workingset_refault_file", pgscanDirect = "pgscan_direct"
    }

    /// Parses the "key value" lines (only the keys read; the file has ~190).
    public static func parse(_ text: String) -> VMStat {
        let f = KeyedText.spaceSeparated(
            text,
            keys: [
                "pgfault", "pgmajfault", "pswpin", "pswpout", "workingset_refault_file", "pgscan_direct", "allocstall",
            ])
        return VMStat(
            pgfault: f["pgfault"], pgmajfault: f["pgmajfault"], pswpin: f["pswpin"], pswpout: f["pswpout"],
            workingsetRefaultFile: f["workingset_refault_file"], pgscanDirect: f["pgscan_direct"],
            allocstall: f["allocstall"] ?? KeyedText.sum(text, prefix: "allocstall_"))
    }
}

/// The aggregate `cpu` line of `/proc/stat`, in clock ticks.
public struct CPUTimes: Sendable, Codable, Equatable {
    public var user: UInt64
    public var nice: UInt64
    public var system: UInt64
    public var idle: UInt64
    public var iowait: UInt64
    public var irq: UInt64
    public var softirq: UInt64
    public var steal: UInt64

    /// All ticks counted.
    public var total: UInt64 { user + nice + system + idle + iowait + irq + softirq + steal }
    /// Ticks not idle and not waiting for I/O.
    public var busy: UInt64 { total - idle - iowait }

    /// Parses the first `cpu ` line; later columns may be absent on old kernels.
    public static func parse(_ text: String) throws -> CPUTimes {
        let prefix = Array("cpu ".utf8)
        var values: [UInt64]?
        ByteText.forEachLine(text) { bytes, start, end in
            guard values == nil, end - start >= prefix.count,
                ByteText.equal(bytes, start, start + prefix.count, prefix)
            else { return }
            var numbers: [UInt64] = []
            ByteText.forEachToken(bytes, start + prefix.count, end) { first, last in
                numbers.append(ByteText.unsigned(bytes, first, last) ?? 0)
                return numbers.count < 8
            }
            values = numbers
        }
        guard let v = values else { throw ProbeError(.malformed, "/proc/stat has no aggregate 'cpu' line") }
        func at(_ i: Int) -> UInt64 { i < v.count ? v[i] : 0 }
        return CPUTimes(
            user: at(0), nice: at(1), system: at(2), idle: at(3), iowait: at(4), irq: at(5), softirq: at(6),
            steal: at(7))
    }
}

/// One PSI line ("some" or "full") of `/proc/pressure/*` or a cgroup's `*.pressure`.
public struct PressureLine: Sendable, Codable, Equatable {
    /// Percent of the last 10 s with a stall.
    public var avg10: Double
    public var avg60: Double
    public var avg300: Double
    /// Total stall time in microseconds.
    public var totalMicroseconds: UInt64

    enum CodingKeys: String, CodingKey { case avg10, avg60, avg300, totalMicroseconds = "total_us" }
}

/// A PSI file: `some` (at least one task stalled) and `full` (all non-idle tasks stalled;
/// absent for `cpu` before 5.13).
public struct Pressure: Sendable, Codable, Equatable {
    public var some: PressureLine?
    public var full: PressureLine?

    /// Parses the "some avg10=... total=..." lines.
    public static func parse(_ text: String) -> Pressure {
        var result = Pressure()
        let some = Array("some".utf8), full = Array("full".utf8)
        let avg10 = Array("avg10".utf8), avg60 = Array("avg60".utf8), avg300 = Array("avg300".utf8)
        let totalKey = Array("total".utf8)
        ByteText.forEachLine(text) { bytes, start, end in
            var kind: (Int, Int)?
            var a10 = 0.0, a60 = 0.0, a300 = 0.0
            var total: UInt64?
            ByteText.forEachToken(bytes, start, end) { first, last in
                guard kind != nil else {
                    kind = (first, last)
                    return true
                }
                var equals = first
                while equals < last, bytes[equals] != UInt8(ascii: "=") { equals += 1 }
                guard equals < last else { return true }
                if ByteText.equal(bytes, first, equals, totalKey) {
                    total = ByteText.unsigned(bytes, equals + 1, last)
                } else if ByteText.equal(bytes, first, equals, avg10) {
                    a10 = ByteText.double(bytes, equals + 1, last) ?? 0
                } else if ByteText.equal(bytes, first, equals, avg60) {
                    a60 = ByteText.double(bytes, equals + 1, last) ?? 0
                } else if ByteText.equal(bytes, first, equals, avg300) {
                    a300 = ByteText.double(bytes, equals + 1, last) ?? 0
                }
                return true
            }
            guard let kind, let total else { return }
            let parsed = PressureLine(avg10: a10, avg60: a60, avg300: a300, totalMicroseconds: total)
            if ByteText.equal(bytes, kind.0, kind.1, some) {
                result.some = parsed
            } else if ByteText.equal(bytes, kind.0, kind.1, full) {
                result.full = parsed
            }
        }
        return result
    }
}
