/// The fields InferLab reads from `/proc/<pid>/status`, sizes in bytes. Missing keys are `nil`
/// (kernel threads have no Vm* lines; RssAnon appeared in 4.5).
public struct ProcessStatus: Sendable, Codable, Equatable {
    public var name: String?
    /// Resident set size.
    public var vmRSS: UInt64?
    /// Peak resident set size.
    public var vmHWM: UInt64?
    /// Resident anonymous memory.
    public var rssAnon: UInt64?
    /// Resident file-backed memory (the mmapped model shows here).
    public var rssFile: UInt64?
    /// Locked memory (mlock).
    public var vmLck: UInt64?
    /// Swapped-out anonymous memory.
    public var vmSwap: UInt64?
    public var threads: Int?
    public var voluntaryCtxtSwitches: UInt64?
    public var nonvoluntaryCtxtSwitches: UInt64?
    /// The CPUs the process may run on, as the kernel prints them ("0-1", "0,2-3").
    public var cpusAllowedList: String?

    enum CodingKeys: String, CodingKey {
        case name, threads
        case vmRSS = "vm_rss", vmHWM = "vm_hwm", rssAnon = "rss_anon", rssFile = "rss_file", vmLck = "vm_lck"
        case vmSwap = "vm_swap", voluntaryCtxtSwitches = "voluntary_ctxt_switches"
        case nonvoluntaryCtxtSwitches = "nonvoluntary_ctxt_switches", cpusAllowedList = "cpus_allowed_list"
    }

    /// The keys read from the file.
    static let keys = [
        "Name", "VmRSS", "VmHWM", "RssAnon", "RssFile", "VmLck", "VmSwap", "Threads", "voluntary_ctxt_switches",
        "nonvoluntary_ctxt_switches", "Cpus_allowed_list",
    ]

    /// Parses the "Key:\tvalue" lines.
    public static func parse(_ text: String) -> ProcessStatus {
        let f = KeyedText.colonSeparated(text, keys: keys)
        return ProcessStatus(
            name: f["Name"], vmRSS: KeyedText.bytes(f["VmRSS"]), vmHWM: KeyedText.bytes(f["VmHWM"]),
            rssAnon: KeyedText.bytes(f["RssAnon"]), rssFile: KeyedText.bytes(f["RssFile"]),
            vmLck: KeyedText.bytes(f["VmLck"]), vmSwap: KeyedText.bytes(f["VmSwap"]),
            threads: f["Threads"].flatMap { Int($0) },
            voluntaryCtxtSwitches: KeyedText.number(f["voluntary_ctxt_switches"]),
            nonvoluntaryCtxtSwitches: KeyedText.number(f["nonvoluntary_ctxt_switches"]),
            cpusAllowedList: f["Cpus_allowed_list"])
    }
}

/// A CPU list in the kernel's format ("0-3,8,10-11"), as used by Cpus_allowed_list and cpuset.cpus.
public enum CPUList {
    /// The CPU numbers in the list, sorted; `nil` when the text is not a CPU list.
    public static func parse(_ text: String) -> [Int]? {
        let trimmed = text.trimmingSpaces()
        if trimmed.isEmpty { return [] }
        var cpus = Set<Int>()
        for part in trimmed.split(separator: ",") {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            if bounds.count == 1, let cpu = Int(bounds[0]), cpu >= 0 {
                cpus.insert(cpu)
            } else if bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds[1]), low >= 0, low <= high {
                cpus.formUnion(low...high)
            } else {
                return nil
            }
        }
        return cpus.sorted()
    }

    /// The kernel's compact form of a CPU set ("0-2,5").
    public static func format(_ cpus: [Int]) -> String {
        let sorted = Array(Set(cpus)).sorted()
        var parts: [String] = []
        var index = 0
        while index < sorted.count {
            var end = index
            while end + 1 < sorted.count, sorted[end + 1] == sorted[end] + 1 { end += 1 }
            parts.append(end == index ? "\(sorted[index])" : "\(sorted[index])-\(sorted[end])")
            index = end + 1
        }
        return parts.joined(separator: ",")
    }
}
