import InferLabCore

/// Takes the snapshots of one sampler: the I/O half of `ProbeSampler`, with the state that
/// makes a 100 Hz loop cheap — open files (`ProcFileCache`), paths built once (per process,
/// per thread and per cgroup file, with the directory that holds each cgroup file resolved
/// once instead of trying every directory at each sample), the thread list re-read only when
/// `num_threads` changes or a thread vanished, the slow readings taken at most every
/// `slow_interval_ms` (repeated in between), and the file-residency mapping with its own rate
/// limit (`FileResidencyMonitor`).
///
/// Not thread-safe: one sampler loop owns one reader.
final class ProbeReader {
    let configuration: ProbeConfiguration
    let cgroup: CgroupTarget?
    let files = ProcFileCache()
    let residency: FileResidencyMonitor?
    private var slowGate: IntervalGate
    /// The last slow readings, repeated until the next ones.
    private var slow = ProbeSnapshot(timeNanoseconds: 0)
    private var slowCgroupTexts: [String: String] = [:]
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

    /// Reads everything the configuration asks for, once (the slow readings when due).
    func snapshot() -> ProbeSnapshot {
        var s = ProbeSnapshot(timeNanoseconds: MonotonicClock.now())
        let fresh = slowGate.take(s.timeNanoseconds)
        if let pid = configuration.pid, let paths = processPaths {
            s.pid = pid
            s.stat = files.read(paths.stat).flatMap { try? ProcessStat.parse($0) }
            if let stat = s.stat {
                s.sched = files.read(paths.schedstat).flatMap { try? SchedStat.parse($0) }
                if fresh {
                    slow.status = files.read(paths.status).map(ProcessStatus.parse)
                    slow.io = files.read(paths.io).map(ProcessIO.parse)
                }
                s.status = slow.status
                s.io = slow.io
                // Threads are a slow reading: read with the others, absent from samples between.
                if configuration.includeThreads, fresh {
                    s.threads = threads(of: pid, count: stat.numThreads, task: paths.task)
                }
            } else {
                files.forget(prefix: paths.base)
                threadPaths.removeAll()
                listedThreadCount = nil
            }
        }
        if configuration.includeSystem {
            if fresh {
                slow.vmstat = files.read("/proc/vmstat").map(VMStat.parse)
                slow.cpu = files.read("/proc/stat").flatMap { try? CPUTimes.parse($0) }
                slow.pressureCPU = files.read("/proc/pressure/cpu").map(Pressure.parse)
                slow.pressureMemory = files.read("/proc/pressure/memory").map(Pressure.parse)
                slow.pressureIO = files.read("/proc/pressure/io").map(Pressure.parse)
                slow.disk = nil
                slow.diskCount = 0
                if let text = files.read("/proc/diskstats") {
                    let disks = DiskStat.wholeDisks(DiskStat.parse(text))
                    slow.disk = DiskStat.sum(disks)
                    slow.diskCount = disks.count
                }
            }
            s.vmstat = slow.vmstat
            s.cpu = slow.cpu
            s.pressureCPU = slow.pressureCPU
            s.pressureMemory = slow.pressureMemory
            s.pressureIO = slow.pressureIO
            s.disk = slow.disk
            s.diskCount = slow.diskCount
        }
        if let cgroup {
            var texts = slowCgroupTexts
            for file in resolvedCgroupFiles(cgroup) where fresh || file.fast {
                texts[file.name] = files.read(file.path)
                if !file.fast { slowCgroupTexts[file.name] = texts[file.name] }
            }
            s.cgroup = CgroupStats.parse(version: cgroup.version, path: cgroup.path, files: texts)
        }
        if let residency {
            s.filePath = residency.path
            s.fileResidentFraction = residency.fraction(at: s.timeNanoseconds)
        }
        s.slowFresh = fresh
        return s
    }

    /// The cgroup files read at every sample (CPU usage and throttling); the others are slow.
    static let fastCgroupFiles: Set<String> = ["cpu.stat", "cpuacct.usage"]

    /// Each control file of the cgroup in the first directory that has it.
    private func resolvedCgroupFiles(_ cgroup: CgroupTarget) -> [(name: String, path: String, fast: Bool)] {
        if let cgroupFiles { return cgroupFiles }
        var resolved: [(name: String, path: String, fast: Bool)] = []
        for name in CgroupStats.fileNames(for: cgroup.version) {
            for directory in cgroup.directories where ProcFS.exists(directory + "/" + name) {
                resolved.append((name, directory + "/" + name, Self.fastCgroupFiles.contains(name)))
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
            let sched = files.read(paths.schedstat).flatMap { try? SchedStat.parse($0) }
            let stat = sched == nil ? nil : files.read(paths.stat).flatMap { try? ProcessStat.parse($0) }
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
