import Foundation

/// The topology summary of `/proc/cpuinfo`. Pure; tested on fixtures.
public struct CPUSummary: Sendable, Equatable {
    /// The first `model name`.
    public var model: String?
    /// Number of `processor` entries.
    public var logicalCPUs: Int
    /// Distinct `physical id` values (1 when the field is absent).
    public var sockets: Int
    /// Distinct (`physical id`, `core id`) pairs (the logical CPU count when the fields are absent).
    public var cores: Int
    /// The CPU flags of the first processor.
    public var flags: Set<String>

    /// Hardware threads per core: logical CPUs divided by cores.
    public var threadsPerCore: Int { cores > 0 ? max(1, logicalCPUs / cores) : 1 }

    /// Parses the text of `/proc/cpuinfo`.
    public init(cpuinfo text: String) {
        var model: String?
        var flags: Set<String>?
        var processors = 0
        var packages = Set<String>()
        var coreKeys = Set<String>()
        var package = ""
        var core = ""
        func finish() {
            if !core.isEmpty { coreKeys.insert("\(package)/\(core)") }
            if !package.isEmpty { packages.insert(package) }
            package = ""
            core = ""
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard let colon = line.firstIndex(of: ":") else {
                continue
            }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch key {
            case "processor":
                if processors > 0 { finish() }
                processors += 1
            case "model name" where model == nil: model = value
            case "physical id": package = value
            case "core id": core = value
            case "flags" where flags == nil: flags = Set(value.split(separator: " ").map(String.init))
            default: break
            }
        }
        if processors > 0 { finish() }
        self.model = model
        self.logicalCPUs = processors
        self.sockets = max(1, packages.count)
        self.cores = coreKeys.isEmpty ? processors : coreKeys.count
        self.flags = flags ?? []
    }
}
