import Foundation
import InferLabCore
import SystemProbe
import Synchronization

/// What background load to generate.
public struct BackgroundLoadConfiguration: Sendable, Codable, Equatable {
    /// CPU workers (one busy thread or stress-ng worker each). 0 = no CPU load. The default is 1.
    public var cpuWorkers: Int = 1
    /// Percent of each worker's CPU to burn, 1...100. The default is 100.
    public var loadPercent: Int = 100
    /// Seconds to run; `nil` runs until `stop()`. The default is `nil`.
    public var durationSeconds: Double? = nil
    /// Bytes of memory to pin with `mlock` (the mem-locker: make the model no longer fit).
    /// The default is `nil` (none).
    public var lockMemoryBytes: UInt64? = nil
    /// Whether to use stress-ng for CPU load when it is installed (else the built-in burner).
    /// The default is `true`.
    public var useStressNG: Bool = true

    enum CodingKeys: String, CodingKey {
        case cpuWorkers = "cpu_workers", loadPercent = "load_percent", durationSeconds = "duration_s"
        case lockMemoryBytes = "lock_memory_bytes", useStressNG = "use_stress_ng"
    }

    public init(
        cpuWorkers: Int = 1, loadPercent: Int = 100, durationSeconds: Double? = nil, lockMemoryBytes: UInt64? = nil,
        useStressNG: Bool = true
    ) {
        self.cpuWorkers = cpuWorkers
        self.loadPercent = loadPercent
        self.durationSeconds = durationSeconds
        self.lockMemoryBytes = lockMemoryBytes
        self.useStressNG = useStressNG
    }

    /// Checks every field; the error names the bad one.
    public func validate() throws {
        guard (0...1024).contains(cpuWorkers) else {
            throw ConstraintError(.invalidConfiguration, "cpu_workers must be 0...1024, got \(cpuWorkers)")
        }
        guard (1...100).contains(loadPercent) else {
            throw ConstraintError(.invalidConfiguration, "load_percent must be 1...100, got \(loadPercent)")
        }
        if let durationSeconds, !(durationSeconds.isFinite && durationSeconds > 0) {
            throw ConstraintError(.invalidConfiguration, "duration_s must be positive, got \(durationSeconds)")
        }
        if let lockMemoryBytes, lockMemoryBytes == 0 {
            throw ConstraintError(.invalidConfiguration, "lock_memory_bytes must be positive")
        }
        if cpuWorkers == 0 && lockMemoryBytes == nil {
            throw ConstraintError(.invalidConfiguration, "nothing to do: cpu_workers is 0 and no lock_memory_bytes")
        }
    }
}

/// Running background load: stress-ng (or built-in busy threads) for CPU, `mlock` for memory.
/// Stop it with `stop()`; it also stops by itself after `duration_s`.
public final class BackgroundLoad: Sendable {
    /// What was started: "cpu_load" and "memory_lock" outcomes.
    public let outcomes: [String: ControlOutcome]
    /// stress-ng, when it runs the CPU load.
    let process: GatedChild?
    private let stopFlag: StopFlag
    private let lockedRegion: LockedRegion?
    /// Regions `squeeze` added.
    private let extraRegions = Mutex<[LockedRegion]>([])

    private init(
        outcomes: [String: ControlOutcome], process: GatedChild?, stopFlag: StopFlag, lockedRegion: LockedRegion?
    ) {
        self.outcomes = outcomes
        self.process = process
        self.stopFlag = stopFlag
        self.lockedRegion = lockedRegion
    }

    /// The stress-ng executable when installed.
    public static var stressNGPath: String? {
        ["/usr/bin/stress-ng", "/usr/local/bin/stress-ng"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts the load described by `configuration`.
    public static func start(_ configuration: BackgroundLoadConfiguration) throws -> BackgroundLoad {
        try configuration.validate()
        var outcomes: [String: ControlOutcome] = [:]
        let flag = StopFlag()
        var process: GatedChild?
        let workers = configuration.cpuWorkers
        let load = configuration.loadPercent
        if workers > 0 {
            let value = "\(workers) x \(load)%"
            if configuration.useStressNG, let stressNG = stressNGPath {
                var arguments = ["--cpu", "\(workers)", "--cpu-load", "\(load)", "--quiet"]
                if let duration = configuration.durationSeconds {
                    arguments += ["--timeout", "\(Int(duration.rounded(.up)))s"]
                }
                // Spawned with default signal dispositions and an empty mask (its --timeout
                // uses SIGALRM), in its own process group so stop() reaches every worker.
                let child = try GatedChild.spawn([stressNG] + arguments, newProcessGroup: true)
                child.release()
                process = child
                outcomes["cpu_load"] = .applied(
                    "stress-ng \(arguments.joined(separator: " ")) (pid \(child.pid))", value: value)
            } else {
                let reason = configuration.useStressNG ? "stress-ng not installed; " : ""
                for _ in 0..<workers {
                    let thread = Thread { burn(percent: load, until: flag) }
                    thread.name = "inferlab-burn"
                    thread.start()
                }
                outcomes["cpu_load"] = .applied("\(reason)built-in busy threads in pid \(getpid())", value: value)
            }
        }
        var region: LockedRegion?
        if let bytes = configuration.lockMemoryBytes {
            do {
                region = try LockedRegion(bytes: bytes)
                outcomes["memory_lock"] = .applied(
                    "mlock'ed \(bytes) bytes in pid \(getpid()); VmLck=\(region!.verifiedLockedBytes ?? 0)",
                    value: "\(bytes)")
            } catch {
                outcomes["memory_lock"] = .notApplied("\(error)", value: "\(bytes)")
            }
        }
        let running = BackgroundLoad(outcomes: outcomes, process: process, stopFlag: flag, lockedRegion: region)
        if let duration = configuration.durationSeconds {
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: duration)
                running.stop()
            }
        }
        return running
    }

    /// Whether the load is still running.
    public var isRunning: Bool { !stopFlag.value.load(ordering: .relaxed) }

    /// Waits until the load stops (its duration ends or `stop()` is called).
    public func wait() async {
        while isRunning { try? await Task.sleep(nanoseconds: 50_000_000) }
    }

    /// Stops every worker and unlocks memory (idempotent).
    public func stop() {
        guard !stopFlag.value.exchange(true, ordering: .relaxed) else { return }
        process?.terminateGroup()
        lockedRegion?.release()
        for region in extraRegions.withLock({ $0 }) { region.release() }
    }

    /// Pins `bytes` more (released with the rest); whether it could.
    public func pin(bytes: UInt64) -> Bool {
        guard let region = try? LockedRegion(bytes: bytes) else { return false }
        extraRegions.withLock { $0.append(region) }
        return true
    }

    /// Pins more memory, `chunk` at a time, until at most `target` of `file` is in the page
    /// cache (the kernel reclaims what nothing holds: other files' pages first, then the file's),
    /// `timeout` passes, or MemAvailable falls to `floor`. Returns the bytes added and the
    /// residency reached. The file should be idle meanwhile: measured with a generation running,
    /// the engine faulted the pages back as fast as they went (1.1 GB/s here), each 2 MiB mlock
    /// stalled in direct reclaim, and the squeeze did not finish in minutes.
    public func squeeze(
        file: String, target: Double, chunk: UInt64 = 2 << 20, floor: UInt64, timeout: Double = 60
    ) -> (addedBytes: UInt64, resident: Double?) {
        var added: UInt64 = 0
        let started = MonotonicInstant.now()
        var resident = try? FileResidency.residentFraction(path: file)
        while let current = resident, current > target, (MonotonicInstant.now() - started).seconds < timeout {
            guard let available = ProcFS.read("/proc/meminfo").flatMap(MemoryPressure.memAvailable(meminfo:)),
                available > floor + 8 * chunk
            else { break }
            // Large steps while none of the file has gone yet, small ones once it goes.
            let step = current >= 0.999 ? 8 * chunk : chunk
            guard let region = try? LockedRegion(bytes: step) else { break }
            extraRegions.withLock { $0.append(region) }
            added += step
            usleep(20_000)
            resident = try? FileResidency.residentFraction(path: file)
        }
        return (added, resident)
    }

    /// Burns `percent` of each 100 ms period until stopped.
    private static func burn(percent: Int, until flag: StopFlag) {
        let period = Duration.milliseconds(100)
        var sink: UInt64 = 0
        while !flag.value.load(ordering: .relaxed) {
            let start = MonotonicInstant.now()
            let busyUntil = start + period * percent / 100
            while MonotonicInstant.now() < busyUntil {
                for i in 0..<1000 { sink = sink &* 6364136223846793005 &+ UInt64(i) }
            }
            let rest = (start + period) - .now()
            if rest > .zero { usleep(UInt32(rest.nanoseconds / 1000)) }
        }
        if sink == 42 { print("") }
    }
}

/// A one-way stop signal shared with worker threads.
final class StopFlag: Sendable {
    let value = Atomic<Bool>(false)
}

/// Anonymous memory pinned with mlock until released.
final class LockedRegion: Sendable {
    private let address: Atomic<Int>
    let bytes: Int
    /// VmLck of this process after locking.
    let verifiedLockedBytes: UInt64?

    init(bytes: UInt64) throws {
        let size = Int(bytes)
        guard let map = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), map != MAP_FAILED
        else {
            throw ConstraintError(.system, "mmap of \(bytes) bytes failed: \(String(cString: strerror(errno)))")
        }
        guard mlock(map, size) == 0 else {
            let code = errno
            munmap(map, size)
            throw ConstraintError(
                .system,
                "mlock of \(bytes) bytes failed: \(String(cString: strerror(code)))"
                    + (code == ENOMEM || code == EPERM ? " (raise ulimit -l or run as root)" : ""), errno: code)
        }
        self.bytes = size
        address = Atomic(Int(bitPattern: map))
        verifiedLockedBytes = ProcFS.read("/proc/self/status").flatMap { ProcessStatus.parse($0).vmLck }
    }

    func release() {
        let raw = address.exchange(0, ordering: .relaxed)
        guard raw != 0, let pointer = UnsafeMutableRawPointer(bitPattern: raw) else { return }
        munlock(pointer, bytes)
        munmap(pointer, bytes)
    }

    deinit { release() }
}
