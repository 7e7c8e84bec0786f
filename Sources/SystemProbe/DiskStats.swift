/// One device line of `/proc/diskstats` (Documentation/admin-guide/iostats.rst).
public struct DiskStat: Sendable, Codable, Equatable {
    public var name: String
    public var readsCompleted: UInt64
    public var sectorsRead: UInt64
    public var readMilliseconds: UInt64
    public var writesCompleted: UInt64
    public var sectorsWritten: UInt64
    public var writeMilliseconds: UInt64
    public var inFlight: UInt64
    /// Milliseconds with at least one I/O in flight (iostat's %util).
    public var ioMilliseconds: UInt64
    /// Weighted milliseconds in flight (iostat's aqu-sz).
    public var weightedMilliseconds: UInt64

    enum CodingKeys: String, CodingKey {
        case name
        case readsCompleted = "reads", sectorsRead = "sectors_read", readMilliseconds = "read_ms"
        case writesCompleted = "writes", sectorsWritten = "sectors_written", writeMilliseconds = "write_ms"
        case inFlight = "in_flight", ioMilliseconds = "io_ms", weightedMilliseconds = "weighted_ms"
    }

    /// Parses every device line (14 or more fields; discard and flush columns are ignored).
    public static func parse(_ text: String) -> [DiskStat] {
        var result: [DiskStat] = []
        ByteText.forEachLine(text) { bytes, start, end in
            var name = (0, 0)
            var n = [UInt64](repeating: 0, count: 11)
            var count = 0
            ByteText.forEachToken(bytes, start, end) { first, last in
                if count == 2 { name = (first, last) }
                if count >= 3 && count <= 13 { n[count - 3] = ByteText.unsigned(bytes, first, last) ?? 0 }
                count += 1
                return count < 14
            }
            guard count >= 14 else { return }
            result.append(
                DiskStat(
                    name: ByteText.string(bytes, name.0, name.1), readsCompleted: n[0], sectorsRead: n[2],
                    readMilliseconds: n[3], writesCompleted: n[4], sectorsWritten: n[6], writeMilliseconds: n[7],
                    inFlight: n[8], ioMilliseconds: n[9], weightedMilliseconds: n[10]))
        }
        return result
    }

    /// Whole disks only: no loop/ram/zram devices and no partitions (a name that extends another
    /// listed device's name, like `vda1` of `vda` or `nvme0n1p1` of `nvme0n1`).
    public static func wholeDisks(_ stats: [DiskStat]) -> [DiskStat] {
        let names = Set(stats.map(\.name))
        return stats.filter { stat in
            if stat.name.hasPrefix("loop") || stat.name.hasPrefix("ram") || stat.name.hasPrefix("zram") { return false }
            return !names.contains { $0 != stat.name && stat.name.hasPrefix($0) && stat.name.last!.isNumber }
        }
    }

    /// The field-wise sum of several devices, named `name`.
    public static func sum(_ stats: [DiskStat], name: String = "all") -> DiskStat {
        var total = DiskStat(
            name: name, readsCompleted: 0, sectorsRead: 0, readMilliseconds: 0, writesCompleted: 0,
            sectorsWritten: 0, writeMilliseconds: 0, inFlight: 0, ioMilliseconds: 0, weightedMilliseconds: 0)
        for s in stats {
            total.readsCompleted += s.readsCompleted
            total.sectorsRead += s.sectorsRead
            total.readMilliseconds += s.readMilliseconds
            total.writesCompleted += s.writesCompleted
            total.sectorsWritten += s.sectorsWritten
            total.writeMilliseconds += s.writeMilliseconds
            total.inFlight += s.inFlight
            // For several disks io_ms can exceed wall time; %util is then per disk on average.
            total.ioMilliseconds += s.ioMilliseconds
            total.weightedMilliseconds += s.weightedMilliseconds
        }
        return total
    }
}

/// iostat's derived figures between two readings of one device.
public struct DiskRates: Sendable, Codable, Equatable {
    public var readsPerSecond: Double
    public var readKBPerSecond: Double
    public var writesPerSecond: Double
    public var writeKBPerSecond: Double
    /// Mean milliseconds per completed read; `nil` when no read completed.
    public var readAwaitMilliseconds: Double?
    public var writeAwaitMilliseconds: Double?
    /// Average queue length.
    public var averageQueueSize: Double
    /// Percent of the interval with I/O in flight (divided by the device count for sums).
    public var utilizationPercent: Double

    enum CodingKeys: String, CodingKey {
        case readsPerSecond = "r_per_s", readKBPerSecond = "rkb_per_s", writesPerSecond = "w_per_s"
        case writeKBPerSecond = "wkb_per_s", readAwaitMilliseconds = "r_await_ms"
        case writeAwaitMilliseconds = "w_await_ms", averageQueueSize = "aqu_sz", utilizationPercent = "util_pct"
    }

    /// The rates from `previous` to `current` over `seconds`, `devices` disks summed.
    public static func between(_ previous: DiskStat, _ current: DiskStat, seconds: Double, devices: Int = 1)
        -> DiskRates
    {
        let dt = max(seconds, 1e-9)
        func d(_ a: UInt64, _ b: UInt64) -> Double { b >= a ? Double(b - a) : 0 }
        let reads = d(previous.readsCompleted, current.readsCompleted)
        let writes = d(previous.writesCompleted, current.writesCompleted)
        return DiskRates(
            readsPerSecond: reads / dt, readKBPerSecond: d(previous.sectorsRead, current.sectorsRead) * 512 / 1024 / dt,
            writesPerSecond: writes / dt,
            writeKBPerSecond: d(previous.sectorsWritten, current.sectorsWritten) * 512 / 1024 / dt,
            readAwaitMilliseconds: reads > 0 ? d(previous.readMilliseconds, current.readMilliseconds) / reads : nil,
            writeAwaitMilliseconds: writes > 0
                ? d(previous.writeMilliseconds, current.writeMilliseconds) / writes : nil,
            averageQueueSize: d(previous.weightedMilliseconds, current.weightedMilliseconds) / (dt * 1000),
            utilizationPercent: min(
                100, d(previous.ioMilliseconds, current.ioMilliseconds) / (dt * 1000) * 100 / Double(max(devices, 1))))
    }
}
