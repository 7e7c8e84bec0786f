import Foundation

/// Reads ``SystemInfo`` from the machine (or from a fixture tree standing in for `/`).
///
/// Every file is read through ``SystemFiles`` beneath `root`; nothing is written.
public enum SystemShow {
    /// Well-known paths, as on a real machine.
    public enum Path {
        public static let osrelease = "/proc/sys/kernel/osrelease"
        public static let version = "/proc/version"
        public static let osRelease = "/etc/os-release"
        public static let cpuinfo = "/proc/cpuinfo"
        public static let cpuDirectory = "/sys/devices/system/cpu"
        public static let nodeOnline = "/sys/devices/system/node/online"
        public static let dmiVendor = "/sys/class/dmi/id/sys_vendor"
        public static let dmiProduct = "/sys/class/dmi/id/product_name"
        public static let intelNoTurbo = "/sys/devices/system/cpu/intel_pstate/no_turbo"
        public static let cpufreqBoost = "/sys/devices/system/cpu/cpufreq/boost"
        public static let meminfo = "/proc/meminfo"
        public static let swappiness = "/proc/sys/vm/swappiness"
        public static let thpEnabled = "/sys/kernel/mm/transparent_hugepage/enabled"
        public static let thpDefrag = "/sys/kernel/mm/transparent_hugepage/defrag"
        public static let swaps = "/proc/swaps"
        public static let limits = "/proc/self/limits"
        public static let status = "/proc/self/status"
        public static let mounts = "/proc/mounts"
        public static let selfCgroup = "/proc/self/cgroup"
        public static let pressure = "/proc/pressure"
        public static let perfEventParanoid = "/proc/sys/kernel/perf_event_paranoid"
        public static let clocksource = "/sys/devices/system/clocksource/clocksource0/current_clocksource"
        public static let availableClocksource = "/sys/devices/system/clocksource/clocksource0/available_clocksource"
        public static let dropCaches = "/proc/sys/vm/drop_caches"

        /// The cpufreq directory of one CPU.
        public static func cpufreq(_ cpu: Int) -> String { "\(cpuDirectory)/cpu\(cpu)/cpufreq" }
    }

    /// `CAP_IPC_LOCK`'s bit in the capability masks.
    static let capIPCLockBit: UInt64 = 1 << 14

    /// Reads the configuration of the machine whose `/` is `root`. The default is the running machine.
    public static func read(root: String = "/") -> SystemInfo {
        let files = SystemFiles(root: root)
        return SystemInfo(
            schemaVersion: 1, root: root, kernel: kernel(files), cpu: cpu(files),
            virtualization: virtualization(files), frequency: frequency(files), memory: memory(files),
            memlock: memlock(files), cgroup: cgroup(files), psi: psi(files),
            perfEventParanoid: integer(files, Path.perfEventParanoid),
            clocksource: string(files, Path.clocksource),
            availableClocksources: words(files, Path.availableClocksource))
    }

    static func string(_ files: SystemFiles, _ path: String) -> Sourced<String> {
        guard let text = files.readTrimmed(path) else { return .notExposed(path) }
        return Sourced(text, source: path)
    }

    static func integer(_ files: SystemFiles, _ path: String) -> Sourced<Int> {
        guard let text = files.readTrimmed(path) else { return .notExposed(path) }
        guard let value = Int(text) else { return Sourced(nil, source: path, note: "unparsable: \(text)") }
        return Sourced(value, source: path)
    }

    static func words(_ files: SystemFiles, _ path: String) -> Sourced<[String]> {
        guard let text = files.read(path) else { return .notExposed(path) }
        return Sourced(text.split(whereSeparator: \.isWhitespace).map(String.init), source: path)
    }

    static func bracketed(_ files: SystemFiles, _ path: String) -> Sourced<String> {
        guard let text = files.readTrimmed(path) else { return .notExposed(path) }
        guard let selected = SystemText.bracketed(text).selected else {
            return Sourced(nil, source: path, note: "no [selected] mode in: \(text)")
        }
        return Sourced(selected, source: path)
    }

    static func kernel(_ files: SystemFiles) -> KernelInfo {
        let release = files.read(Path.osRelease).map(SystemText.osRelease)
        let distribution: Sourced<String> =
            release?["PRETTY_NAME"].map { Sourced($0, source: Path.osRelease, note: "PRETTY_NAME") }
            ?? .notExposed(Path.osRelease)
        return KernelInfo(
            release: string(files, Path.osrelease), version: string(files, Path.version), distribution: distribution)
    }

    static func cpu(_ files: SystemFiles) -> CPUInfo {
        let source = Path.cpuinfo
        let nodes: Sourced<Int> =
            files.readTrimmed(Path.nodeOnline).map {
                Sourced(SystemText.cpuList($0).count, source: Path.nodeOnline)
            } ?? Sourced(1, source: Path.nodeOnline, note: "not exposed; a kernel without NUMA has one node")
        guard let text = files.read(source) else {
            let missing = Sourced<Int>.notExposed(source)
            return CPUInfo(
                model: .notExposed(source), logicalCPUs: missing, sockets: missing, cores: missing,
                threadsPerCore: missing, numaNodes: nodes)
        }
        let summary = CPUSummary(cpuinfo: text)
        return CPUInfo(
            model: Sourced(summary.model, source: source, note: summary.model == nil ? "no model name" : nil),
            logicalCPUs: Sourced(summary.logicalCPUs, source: source, note: "processor entries"),
            sockets: Sourced(summary.sockets, source: source, note: "distinct physical id"),
            cores: Sourced(summary.cores, source: source, note: "distinct (physical id, core id)"),
            threadsPerCore: Sourced(summary.threadsPerCore, source: source, note: "logical CPUs / cores"),
            numaNodes: nodes)
    }

    static func virtualization(_ files: SystemFiles) -> VirtualizationInfo {
        let flag: Sourced<Bool> =
            files.read(Path.cpuinfo).map {
                Sourced(CPUSummary(cpuinfo: $0).flags.contains("hypervisor"), source: Path.cpuinfo, note: "flags")
            } ?? .notExposed(Path.cpuinfo)
        var hints: [String] = []
        for marker in ["/.dockerenv", "/run/.containerenv"] where files.exists(marker) {
            hints.append(marker)
        }
        if let environ = files.read("/proc/1/environ") {
            for variable in environ.split(whereSeparator: { $0 == "\0" || $0 == "\n" })
            where variable.hasPrefix("container=") {
                hints.append("/proc/1/environ \(variable)")
            }
        }
        return VirtualizationInfo(
            hypervisorFlag: flag, dmiVendor: string(files, Path.dmiVendor), dmiProduct: string(files, Path.dmiProduct),
            containerHints: Sourced(
                hints, source: "/.dockerenv, /run/.containerenv, /proc/1/environ",
                note: hints.isEmpty ? "none found" : nil))
    }

    /// The CPUs that have a directory `cpuN` under `/sys/devices/system/cpu`, sorted.
    static func cpuNumbers(_ files: SystemFiles) -> [Int] {
        files.list(Path.cpuDirectory).compactMap { name in
            name.hasPrefix("cpu") ? Int(name.dropFirst(3)) : nil
        }.sorted()
    }

    static func frequency(_ files: SystemFiles) -> FrequencyInfo {
        let governorSource = "\(Path.cpuDirectory)/cpu*/cpufreq/scaling_governor"
        let governors = cpuNumbers(files).compactMap { cpu -> CPUGovernor? in
            files.readTrimmed("\(Path.cpufreq(cpu))/scaling_governor").map { CPUGovernor(cpu: cpu, governor: $0) }
        }
        return FrequencyInfo(
            driver: string(files, "\(Path.cpufreq(0))/scaling_driver"),
            governors: governors.isEmpty ? .notExposed(governorSource) : Sourced(governors, source: governorSource),
            boost: boost(files))
    }

    /// Turbo/boost: `intel_pstate/no_turbo` (inverted) first, then the generic `cpufreq/boost`.
    static func boost(_ files: SystemFiles) -> Sourced<Bool> {
        if let text = files.readTrimmed(Path.intelNoTurbo) {
            return Sourced(text == "0", source: Path.intelNoTurbo, note: "no_turbo inverted")
        }
        if let text = files.readTrimmed(Path.cpufreqBoost) {
            return Sourced(text == "1", source: Path.cpufreqBoost)
        }
        return Sourced(nil, source: "\(Path.intelNoTurbo), \(Path.cpufreqBoost)", note: "not exposed")
    }

    static func memory(_ files: SystemFiles) -> MemoryInfo {
        let fields = files.read(Path.meminfo).map(SystemText.meminfo) ?? [:]
        func field(_ name: String) -> Sourced<UInt64> {
            guard let value = fields[name] else { return Sourced(nil, source: Path.meminfo, note: "no \(name)") }
            return Sourced(value, source: Path.meminfo, note: name)
        }
        let swaps: Sourced<[SwapDevice]> =
            files.read(Path.swaps).map { Sourced(SystemText.swaps($0), source: Path.swaps) } ?? .notExposed(Path.swaps)
        return MemoryInfo(
            totalBytes: field("MemTotal"), freeBytes: field("MemFree"), availableBytes: field("MemAvailable"),
            pageCacheBytes: field("Cached"), swappiness: integer(files, Path.swappiness),
            transparentHugepages: bracketed(files, Path.thpEnabled),
            transparentHugepagesDefrag: bracketed(files, Path.thpDefrag), swapDevices: swaps)
    }

    static func memlock(_ files: SystemFiles) -> MemlockInfo {
        let limits = files.read(Path.limits).flatMap { SystemText.limit("Max locked memory", in: $0) }
        let note = "Max locked memory"
        let capability: Sourced<Bool> =
            files.read(Path.status).flatMap { SystemText.capabilityMask("CapEff", inStatus: $0) }.map {
                Sourced($0 & capIPCLockBit != 0, source: Path.status, note: "CapEff bit 14 (CAP_IPC_LOCK)")
            } ?? .notExposed(Path.status)
        return MemlockInfo(
            soft: limits.map { Sourced($0.soft, source: Path.limits, note: note) } ?? .notExposed(Path.limits),
            hard: limits.map { Sourced($0.hard, source: Path.limits, note: note) } ?? .notExposed(Path.limits),
            capIPCLock: capability)
    }

    static func psi(_ files: SystemFiles) -> Sourced<[String]> {
        let present = ["cpu", "memory", "io"].filter { files.exists("\(Path.pressure)/\($0)") }
        return Sourced(present, source: Path.pressure, note: present.isEmpty ? "not exposed (PSI off)" : nil)
    }

    static func cgroup(_ files: SystemFiles) -> CgroupInfo {
        let mounts = files.read(Path.mounts).map(SystemText.mounts) ?? []
        let layout = CgroupLayout(mounts: mounts)
        let v2Controllers: Sourced<[String]> =
            layout.v2Mount.map { words(files, "\($0)/cgroup.controllers") }
            ?? Sourced(nil, source: Path.mounts, note: "no cgroup2 mount")
        let own: Sourced<[CgroupMembership]> =
            files.read(Path.selfCgroup).map { Sourced(SystemText.processCgroups($0), source: Path.selfCgroup) }
            ?? .notExposed(Path.selfCgroup)
        return CgroupInfo(
            version: layout.version.map { Sourced($0, source: Path.mounts) }
                ?? Sourced(nil, source: Path.mounts, note: "no cgroup mounts"),
            v2Mount: layout.v2Mount.map { Sourced($0, source: Path.mounts) }
                ?? Sourced(nil, source: Path.mounts, note: "no cgroup2 mount"),
            v2Controllers: v2Controllers,
            v1Controllers: Sourced(layout.v1Controllers, source: Path.mounts),
            ownPaths: own)
    }
}
