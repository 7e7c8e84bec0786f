/// What `inferlab system show` reports: the machine's configuration, every field with its source.
///
/// This is the provenance recorded with every experiment run, so its JSON shape is stable: snake_case keys,
/// every leaf a ``Sourced`` value (`{"value", "source", "note"}`), `schema_version` bumped on any change.
public struct SystemInfo: Codable, Sendable, Equatable {
    /// The version of this JSON shape. The current version is 1.
    public var schemaVersion: Int
    /// The directory read as `/` (`/` on a live machine, a fixture tree in tests).
    public var root: String
    /// Kernel and distribution.
    public var kernel: KernelInfo
    /// Processor topology.
    public var cpu: CPUInfo
    /// Hypervisor and container hints.
    public var virtualization: VirtualizationInfo
    /// Frequency scaling and turbo/boost.
    public var frequency: FrequencyInfo
    /// Memory, swap and transparent hugepages.
    public var memory: MemoryInfo
    /// Memory-locking limits of the caller.
    public var memlock: MemlockInfo
    /// cgroup hierarchy and the caller's place in it.
    public var cgroup: CgroupInfo
    /// Pressure stall information resources present (`cpu`, `memory`, `io`).
    public var psi: Sourced<[String]>
    /// `kernel.perf_event_paranoid`.
    public var perfEventParanoid: Sourced<Int>
    /// The current clock source (`tsc`, `kvm-clock`, ...).
    public var clocksource: Sourced<String>
    /// The clock sources the kernel could use.
    public var availableClocksources: Sourced<[String]>

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case root, kernel, cpu, virtualization, frequency, memory, memlock, cgroup, psi
        case perfEventParanoid = "perf_event_paranoid"
        case clocksource
        case availableClocksources = "available_clocksources"
    }

    /// This value with the fields that change on their own (free memory, page cache, swap in use) cleared,
    /// so two snapshots of an unchanged configuration compare equal.
    public func withoutVolatileFields() -> SystemInfo {
        var copy = self
        copy.memory.freeBytes.value = nil
        copy.memory.availableBytes.value = nil
        copy.memory.pageCacheBytes.value = nil
        copy.memory.swapDevices.value = copy.memory.swapDevices.value?.map { device in
            var device = device
            device.usedBytes = 0
            return device
        }
        return copy
    }
}

/// Kernel and distribution.
public struct KernelInfo: Codable, Sendable, Equatable {
    /// The kernel release (`6.1.0-18-amd64`).
    public var release: Sourced<String>
    /// The full kernel version line.
    public var version: Sourced<String>
    /// The distribution's `PRETTY_NAME`.
    public var distribution: Sourced<String>
}

/// Processor topology.
public struct CPUInfo: Codable, Sendable, Equatable {
    /// The `model name` of the first processor.
    public var model: Sourced<String>
    /// Logical CPUs (processors) listed.
    public var logicalCPUs: Sourced<Int>
    /// Distinct physical packages.
    public var sockets: Sourced<Int>
    /// Distinct physical cores over all sockets.
    public var cores: Sourced<Int>
    /// Hardware threads per core (2 with SMT/Hyper-Threading, 1 without).
    public var threadsPerCore: Sourced<Int>
    /// NUMA nodes online.
    public var numaNodes: Sourced<Int>

    enum CodingKeys: String, CodingKey {
        case model
        case logicalCPUs = "logical_cpus"
        case sockets, cores
        case threadsPerCore = "threads_per_core"
        case numaNodes = "numa_nodes"
    }
}

/// Hypervisor and container hints.
public struct VirtualizationInfo: Codable, Sendable, Equatable {
    /// Whether the CPU reports the `hypervisor` flag (running in a virtual machine).
    public var hypervisorFlag: Sourced<Bool>
    /// DMI system vendor (`QEMU`, `Amazon EC2`, ...).
    public var dmiVendor: Sourced<String>
    /// DMI product name.
    public var dmiProduct: Sourced<String>
    /// Container hints found (`/.dockerenv`, `/run/.containerenv`, `container=` in PID 1's environment).
    public var containerHints: Sourced<[String]>

    enum CodingKeys: String, CodingKey {
        case hypervisorFlag = "hypervisor_flag"
        case dmiVendor = "dmi_vendor"
        case dmiProduct = "dmi_product"
        case containerHints = "container_hints"
    }
}

/// The governor of one CPU.
public struct CPUGovernor: Codable, Sendable, Equatable {
    /// The CPU number.
    public var cpu: Int
    /// Its scaling governor (`performance`, `powersave`, `schedutil`, ...).
    public var governor: String
}

/// Frequency scaling and turbo/boost.
public struct FrequencyInfo: Codable, Sendable, Equatable {
    /// The cpufreq driver of CPU 0 (`intel_pstate`, `acpi-cpufreq`, ...).
    public var driver: Sourced<String>
    /// Each CPU's governor; `not exposed` where cpufreq does not exist (as on many VMs).
    public var governors: Sourced<[CPUGovernor]>
    /// Whether turbo/boost is on (`intel_pstate/no_turbo` inverted, or `cpufreq/boost`).
    public var boost: Sourced<Bool>
}

/// An active swap area.
public struct SwapDevice: Codable, Sendable, Equatable {
    /// Device or file path.
    public var path: String
    /// `partition` or `file`.
    public var type: String
    /// Size in bytes.
    public var sizeBytes: UInt64
    /// Bytes in use.
    public var usedBytes: UInt64
    /// Swap priority.
    public var priority: Int

    enum CodingKeys: String, CodingKey {
        case path, type
        case sizeBytes = "size_bytes"
        case usedBytes = "used_bytes"
        case priority
    }
}

/// Memory, swap and transparent hugepages.
public struct MemoryInfo: Codable, Sendable, Equatable {
    /// `MemTotal`.
    public var totalBytes: Sourced<UInt64>
    /// `MemFree` (changes on its own).
    public var freeBytes: Sourced<UInt64>
    /// `MemAvailable` (changes on its own).
    public var availableBytes: Sourced<UInt64>
    /// `Cached`, the page cache (changes on its own).
    public var pageCacheBytes: Sourced<UInt64>
    /// `vm.swappiness`.
    public var swappiness: Sourced<Int>
    /// Transparent hugepages mode (`always`, `madvise`, `never`).
    public var transparentHugepages: Sourced<String>
    /// Transparent hugepages defrag mode.
    public var transparentHugepagesDefrag: Sourced<String>
    /// Active swap areas (an empty list when none).
    public var swapDevices: Sourced<[SwapDevice]>

    enum CodingKeys: String, CodingKey {
        case totalBytes = "total_bytes"
        case freeBytes = "free_bytes"
        case availableBytes = "available_bytes"
        case pageCacheBytes = "page_cache_bytes"
        case swappiness
        case transparentHugepages = "transparent_hugepages"
        case transparentHugepagesDefrag = "transparent_hugepages_defrag"
        case swapDevices = "swap_devices"
    }
}

/// Memory-locking limits of the caller.
public struct MemlockInfo: Codable, Sendable, Equatable {
    /// The soft `RLIMIT_MEMLOCK`.
    public var soft: Sourced<MemlockLimit>
    /// The hard `RLIMIT_MEMLOCK`.
    public var hard: Sourced<MemlockLimit>
    /// Whether the caller holds `CAP_IPC_LOCK` and so may lock memory past the limit.
    public var capIPCLock: Sourced<Bool>

    enum CodingKeys: String, CodingKey {
        case soft, hard
        case capIPCLock = "cap_ipc_lock"
    }
}

/// One line of `/proc/self/cgroup`.
public struct CgroupMembership: Codable, Sendable, Equatable {
    /// The hierarchy id (0 for cgroup v2).
    public var hierarchy: Int
    /// The controllers of a v1 hierarchy (`cpu`, `memory`, `name=systemd`); empty for v2.
    public var controllers: [String]
    /// The caller's cgroup path in that hierarchy.
    public var path: String
}

/// cgroup hierarchy and the caller's place in it.
public struct CgroupInfo: Codable, Sendable, Equatable {
    /// `v1`, `v2` or `hybrid` (v1 controllers plus a v2 mount).
    public var version: Sourced<String>
    /// Where cgroup2 is mounted.
    public var v2Mount: Sourced<String>
    /// Controllers enabled in the v2 root (`cgroup.controllers`).
    public var v2Controllers: Sourced<[String]>
    /// Controllers mounted as v1 hierarchies.
    public var v1Controllers: Sourced<[String]>
    /// The caller's own cgroup paths.
    public var ownPaths: Sourced<[CgroupMembership]>

    enum CodingKeys: String, CodingKey {
        case version
        case v2Mount = "v2_mount"
        case v2Controllers = "v2_controllers"
        case v1Controllers = "v1_controllers"
        case ownPaths = "own_paths"
    }
}
