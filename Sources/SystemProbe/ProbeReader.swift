import InferLabCore

/// Takes the snapshots of one sampler: the I/O half of `ProbeSampler`, with the state that
/// makes a 100 Hz loop cheap — open files (`ProcFileCache`), paths built once (per process,
/// per thread and per cgroup file, with the directory that holds each cgroup file resolved
/// once instead of trying every directory at each sample), the thread list re-read only when
/// `num_threads` changes or a thread vanished, the slow readings taken at most every
/// `slow_interval_ms` (absent in between, not repeated: a sample costs what it reads), and the
/// file-residency mapping with its own rate limit (`FileResidencyMonitor`).
///
/// Not thread-safe: one sampler loop owns one reader.
final class ProbeReader {
    let configuration: ProbeConfiguration
    let cgroup: CgroupTarget?
    let files = ProcFileCache()
    let residency: FileResidencyMonitor?
    private var slowGate: IntervalGate
    /// The thread ids last listed, and the process's num_threads then.
    private var tids: [Int32] = []
    private var listedThreadCount: Int?

    private let processPaths: (stat: String, status: String, schedstat: String, io: String, task: String, base: String)?
    private var threadPaths: [Int32: (base: String, stat: String, schedstat: String)] = [:]
    /// For each cgroup control file that exists, the path to read (resolved on first use).
    private var cgroupFiles: [(name: String, path: String, fast: Bool)]?

    init(configuration: ProbeConfiguration, cgroup: CgroupTarget?) {
        self.configuration = configuration
        self.cgroup = cgroup
        residency = configuration.filePath.map {
            FileResidencyMonitor(
                path: $0, intervalMilliseconds: configuration.residencyIntervalMilliseconds,
                samplingMilliseconds: configuration.intervalMilliseconds)
        }
        slowGate = IntervalGate(
            intervalMilliseconds: configuration.slowIntervalMilliseconds,
            samplingMilliseconds: configuration.intervalMilliseconds)
        processPaths = configuration.pid.map { pid in
            let base = "/proc/\(pid)"
            return (base + "/stat", base + "/status", base + "/schedstat", base + "/io", base + "/task", base + "/")
        }
    }

    /// Reads everything the configuration asks for, once: the fast readings always, the slow
    /// ones only when due (`slowFresh`); a snapshot between slow readings carries none of them.
    func snapshot() -> ProbeSnapshot {
        var s = ProbeSnapshot(time: .now())
        let fresh = slowGate.take(s.time)
        s.slowFresh = fresh
        if let pid = configuration.pid, let paths = processPaths {
            s.pid = pid
            s.stat = files.withBytes(paths.stat) { try? ProcessStat.parse(bytes: $0) } ?? nil
            if let stat = s.stat {
                if fresh {
                    s.status = files.read(paths.status).map(ProcessStatus.parse)
                    s.io = files.read(paths.io).map(ProcessIO.parse)
                    if configuration.includeThreads {
                        s.threads = threads(of: pid, count: stat.numThreads, task: paths.task)
                    }
                    // The process's scheduling figures are its threads' summed: its own schedstat
                    // is the main thread's alone (an engine's main thread mostly sleeps).
                    s.sched =
                        s.threads.flatMap { SchedStat.sum($0.compactMap(\.sched)) }
                        ?? files.read(paths.schedstat).flatMap { try? SchedStat.parse($0) }
                }
            } else {
                files.forget(prefix: paths.base)
                threadPaths.removeAll()
                listedThreadCount = nil
            }
        }
        if configuration.includeSystem, fresh {
            s.vmstat = files.read("/proc/vmstat", manyRecords: true).map(VMStat.parse)
            s.cpu = files.read("/proc/stat").flatMap { try? CPUTimes.parse($0) }
            s.pressureCPU = files.read("/proc/pressure/cpu").map(Pressure.parse)
            s.pressureMemory = files.read("/proc/pressure/memory").map(Pressure.parse)
            s.pressureIO = files.read("/proc/pressure/io").map(Pressure.parse)
            if let text = files.read("/proc/diskstats", manyRecords: true) {
                let disks = DiskStat.wholeDisks(DiskStat.parse(text))
                s.disk = DiskStat.sum(disks)
                s.diskCount = disks.count
            }
        }
        if let cgroup {
            if fresh {
                var texts: [String: String] = [:]
                for file in resolvedCgroupFiles(cgroup) { texts[file.name] = files.read(file.path) }
                s.cgroup = CgroupStats.parse(version: cgroup.version, path: cgroup.path, files: texts)
            } else {
                // Between slow readings only the CPU counters: one or two small files, not all
                // twelve, parsed from their bytes.
                var stats = CgroupStats(version: cgroup.version, path: cgroup.path)
                for file in resolvedCgroupFiles(cgroup) where file.fast {
                    files.withBytes(file.path) { stats.fillCPU(file: file.name, $0) }
                }
                s.cgroup = stats
            }
        }
        if let residency {
            let measurements = residency.measurements
            let fraction = residency.fraction(at: s.time)
            if fresh || residency.measurements != measurements {
                s.filePath = residency.path
                s.fileResidentFraction = fraction
            }
        }
        return s
    }

    /// Each control file of the cgroup in the first directory that has it.
    private func resolvedCgroupFiles(_ cgroup: CgroupTarget) -> [(name: String, path: String, fast: Bool)] {
        if let cgroupFiles { return cgroupFiles }
        var resolved: [(name: String, path: String, fast: Bool)] = []
        for name in CgroupStats.fileNames(for: cgroup.version) {
            for directory in cgroup.directories where ProcFS.exists(directory + "/" + name) {
                resolved.append((name, directory + "/" + name, CgroupStats.cpuFiles.contains(name)))
                break
            }
        }
        cgroupFiles = resolved
        return resolved
    }

    /// Each thread's schedstat and stat. The task directory is listed again only when the process's thread count changed or a
    /// listed thread vanished.
    private func threads(of pid: Int32, count: Int, task: String) -> [ProbeSnapshot.Thread] {
        if listedThreadCount != count { relist(task: task, count: count) }
        if let result = readThreads(skippingVanished: false) { return result }
        relist(task: task, count: count)
        return readThreads(skippingVanished: true) ?? []
    }

    private func relist(task: String, count: Int) {
        tids = ProcFS.list(task).compactMap { Int32($0) }.sorted()
        listedThreadCount = count
        let alive = Set(tids)
        for (tid, paths) in threadPaths where !alive.contains(tid) {
            files.forget(prefix: paths.base)
            threadPaths[tid] = nil
        }
    }

    /// The listed threads' readings, or `nil` when one of them is gone (then the list is stale)
    /// unless `skippingVanished`.
    private func readThreads(skippingVanished: Bool) -> [ProbeSnapshot.Thread]? {
        var result: [ProbeSnapshot.Thread] = []
        result.reserveCapacity(tids.count)
        for tid in tids {
            let paths =
                threadPaths[tid]
                ?? {
                    let base = (processPaths?.task ?? "") + "/\(tid)/"
                    let made = (base: base, stat: base + "stat", schedstat: base + "schedstat")
                    threadPaths[tid] = made
                    return made
                }()
            let sched = files.withBytes(paths.schedstat) { try? SchedStat.parse(bytes: $0) } ?? nil
            let stat = sched == nil ? nil : files.withBytes(paths.stat) { try? ProcessStat.parse(bytes: $0) } ?? nil
            guard let sched, let stat else {
                files.forget(prefix: paths.base)
                threadPaths[tid] = nil
                listedThreadCount = nil
                if skippingVanished { continue }
                return nil
            }
            result.append(ProbeSnapshot.Thread(stat: stat, sched: sched))
        }
        return result
    }
}
