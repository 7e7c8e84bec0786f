extension CgroupStats {
    /// The control files read for each version (by file name, as they appear in a cgroup
    /// directory). A v1 reading merges files from the cpu, cpuacct and memory hierarchies.
    public static func fileNames(for version: CgroupVersion) -> [String] {
        switch version {
        case .v2:
            return [
                "cpu.stat", "cpu.max", "memory.current", "memory.max", "memory.high", "memory.peak",
                "memory.events", "memory.stat", "cpu.pressure", "memory.pressure", "io.pressure", "io.stat",
            ]
        case .v1:
            return [
                "cpuacct.usage", "cpuacct.usage_user", "cpuacct.usage_sys", "cpu.stat", "cpu.cfs_quota_us",
                "cpu.cfs_period_us", "memory.usage_in_bytes", "memory.limit_in_bytes",
                "memory.max_usage_in_bytes", "memory.failcnt", "memory.oom_control", "memory.stat",
            ]
        }
    }

    /// Builds the model from control-file texts keyed by file name; absent files leave fields `nil`.
    public static func parse(version: CgroupVersion, path: String, files: [String: String]) -> CgroupStats {
        var s = CgroupStats(version: version, path: path)
        switch version {
        case .v2: s.fillV2(files)
        case .v1: s.fillV1(files)
        }
        return s
    }

    /// The files of the CPU counters (usage and throttling), which a sampler reads at every
    /// sample (v2 has them all in cpu.stat; v1 splits them between cpuacct.usage and cpu.stat).
    public static let cpuFiles: Set<String> = ["cpu.stat", "cpuacct.usage"]

    /// Fills the CPU counters from the bytes of one of `cpuFiles`: keys by name, straight from the
    /// bytes, because the sampler does this at every sample. v2's cpu.stat holds usage, user,
    /// system, periods and throttling in microseconds; v1's cpu.stat holds periods and throttling
    /// in nanoseconds, and cpuacct.usage the usage in nanoseconds.
    mutating func fillCPU(file: String, _ bytes: ByteText.Bytes) {
        if file == "cpuacct.usage" {
            let (start, end) = ByteText.trim(bytes, 0, bytes.count)
            usageMicroseconds = ByteText.unsigned(bytes, start, end).map { $0 / 1000 }
            return
        }
        let nanoseconds = version == .v1
        ByteText.forEachLine(bytes: bytes) { bytes, start, end in
            var keyEnd = start
            while keyEnd < end, bytes[keyEnd] != UInt8(ascii: " ") { keyEnd += 1 }
            let (valueStart, valueEnd) = ByteText.trim(bytes, keyEnd, end)
            guard let value = ByteText.unsigned(bytes, valueStart, valueEnd) else { return }
            func key(_ name: String) -> Bool { ByteText.equal(bytes, start, keyEnd, name) }
            if key("nr_periods") {
                nrPeriods = value
            } else if key("nr_throttled") {
                nrThrottled = value
            } else if nanoseconds {
                if key("throttled_time") { throttledMicroseconds = value / 1000 }
            } else if key("usage_usec") {
                usageMicroseconds = value
            } else if key("user_usec") {
                userMicroseconds = value
            } else if key("system_usec") {
                systemMicroseconds = value
            } else if key("throttled_usec") {
                throttledMicroseconds = value
            }
        }
    }

    private mutating func fillV2(_ files: [String: String]) {
        if let text = files["cpu.stat"] { ByteText.withBytes(text) { fillCPU(file: "cpu.stat", $0) } }
        if let text = files["cpu.max"] {
            let parts = text.split(separator: " ", omittingEmptySubsequences: true).map { $0.trimmingSpaces() }
            if parts.count >= 2, let period = UInt64(parts[1]) {
                cpuPeriodMicroseconds = period
                cpuQuotaCores = UInt64(parts[0]).map { Double($0) / Double(max(period, 1)) }
            }
        }
        memoryCurrentBytes = KeyedText.number(files["memory.current"])
        if let limit = KeyedText.limit(files["memory.max"]) { memoryMaxBytes = limit }
        if let limit = KeyedText.limit(files["memory.high"]) { memoryHighBytes = limit }
        memoryPeakBytes = KeyedText.number(files["memory.peak"])
        if let text = files["memory.events"] {
            let f = KeyedText.spaceSeparated(text, keys: ["low", "high", "max", "oom", "oom_kill"])
            eventsLow = f["low"]
            eventsHigh = f["high"]
            eventsMax = f["max"]
            eventsOOM = f["oom"]
            oomKill = f["oom_kill"]
        }
        if let text = files["memory.stat"] {
            let f = KeyedText.spaceSeparated(
                text, keys: ["anon", "file", "file_mapped", "pgmajfault", "workingset_refault_file", "pgscan_direct"])
            anonBytes = f["anon"]
            fileBytes = f["file"]
            fileMappedBytes = f["file_mapped"]
            pgmajfault = f["pgmajfault"]
            workingsetRefaultFile = f["workingset_refault_file"]
            pgscanDirect = f["pgscan_direct"]
        }
        cpuPressure = files["cpu.pressure"].map(Pressure.parse)
        memoryPressure = files["memory.pressure"].map(Pressure.parse)
        ioPressure = files["io.pressure"].map(Pressure.parse)
        io = files["io.stat"].map(CgroupIOStat.parse)
    }

    private mutating func fillV1(_ files: [String: String]) {
        for name in Self.cpuFiles {
            if let text = files[name] { ByteText.withBytes(text) { fillCPU(file: name, $0) } }
        }
        userMicroseconds = KeyedText.number(files["cpuacct.usage_user"]).map { $0 / 1000 }
        systemMicroseconds = KeyedText.number(files["cpuacct.usage_sys"]).map { $0 / 1000 }
        let period = KeyedText.number(files["cpu.cfs_period_us"])
        cpuPeriodMicroseconds = period
        if let text = files["cpu.cfs_quota_us"], let quota = Int64(text.trimmingSpaces()), let period {
            cpuQuotaCores = quota < 0 ? nil : Double(quota) / Double(max(period, 1))
        }
        memoryCurrentBytes = KeyedText.number(files["memory.usage_in_bytes"])
        if let limit = KeyedText.limit(files["memory.limit_in_bytes"]) { memoryMaxBytes = limit }
        memoryPeakBytes = KeyedText.number(files["memory.max_usage_in_bytes"])
        failcnt = KeyedText.number(files["memory.failcnt"])
        if let text = files["memory.oom_control"] {
            oomKill = KeyedText.spaceSeparated(text, keys: ["oom_kill"])["oom_kill"]
        }
        if let text = files["memory.stat"] {
            let f = KeyedText.spaceSeparated(
                text, keys: ["rss", "cache", "mapped_file", "pgmajfault", "workingset_refault_file", "pgscan_direct"])
            anonBytes = f["rss"]
            fileBytes = f["cache"]
            fileMappedBytes = f["mapped_file"]
            pgmajfault = f["pgmajfault"]
            workingsetRefaultFile = f["workingset_refault_file"]
            pgscanDirect = f["pgscan_direct"]
        }
    }
}
