import Foundation
import InferLabCore
import SystemProbe

/// How much memory to pin so that a fraction of the model no longer fits (`model_out`), the
/// seed's way: what the machine has for the model is MemAvailable (file pages the kernel can
/// reclaim count as available, so a model cached through mmap is in it) less a reserve the
/// kernel keeps free (the zones' high watermarks, below which kswapd reclaims) and a margin for
/// the processes around the engine. Pinning the rest less `(1 - model_out) x model` leaves that
/// much of the model room, however much memory the machine has.
///
/// A model in anonymous memory (`no-mmap`) or locked (`mlock`) is not in MemAvailable: the same
/// formula then counts the model as available too, so the locker takes `model_out` of the
/// model's own memory, which the kernel can only swap out (or cannot take at all: OOM).
public struct MemoryPressure: Sendable, Equatable {
    public var modelOut: Double
    public var modelBytes: UInt64
    public var availableBytes: UInt64
    /// The model's bytes held outside the page cache's reclaimable pages (no-mmap, mlock).
    public var modelHeldBytes: UInt64
    public var watermarkBytes: UInt64
    public var marginBytes: UInt64

    /// The margin for the runner, the load generator and the probe. 64 MiB.
    public static let defaultMargin: UInt64 = 64 << 20

    public init(
        modelOut: Double, modelBytes: UInt64, availableBytes: UInt64, modelHeldBytes: UInt64 = 0,
        watermarkBytes: UInt64, marginBytes: UInt64 = MemoryPressure.defaultMargin
    ) {
        self.modelOut = modelOut
        self.modelBytes = modelBytes
        self.availableBytes = availableBytes
        self.modelHeldBytes = modelHeldBytes
        self.watermarkBytes = watermarkBytes
        self.marginBytes = marginBytes
    }

    /// The room the model gets: `(1 - model_out) x model`.
    public var modelRoomBytes: UInt64 { UInt64((1 - min(max(modelOut, 0), 1)) * Double(modelBytes)) }

    /// Bytes to pin (0 when there is less memory than that already).
    public var lockBytes: UInt64 {
        let room = availableBytes + modelHeldBytes
        let keep = watermarkBytes + marginBytes + modelRoomBytes
        return room > keep ? room - keep : 0
    }

    /// The computation as the report prints it.
    public var formula: String {
        let held = modelHeldBytes > 0 ? " + model held outside the cache \(Self.mib(modelHeldBytes))" : ""
        return "lock = MemAvailable \(Self.mib(availableBytes))\(held) - high watermarks \(Self.mib(watermarkBytes))"
            + " - margin \(Self.mib(marginBytes)) - (1 - \(SpecNumber.text(modelOut))) x model \(Self.mib(modelBytes))"
            + " = \(Self.mib(lockBytes))"
    }

    static func mib(_ bytes: UInt64) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }

    /// MemAvailable of `/proc/meminfo` text, in bytes.
    public static func memAvailable(meminfo: String) -> UInt64? {
        for line in meminfo.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let words = line.split(separator: " ")
            if words.count >= 2, let kib = UInt64(words[1]) { return kib * 1024 }
        }
        return nil
    }

    /// The zones' high watermarks of `/proc/zoneinfo` text, summed, in bytes (4 KiB pages).
    public static func highWatermarks(zoneinfo: String) -> UInt64 {
        var pages: UInt64 = 0
        for line in zoneinfo.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 2, words[0] == "high", let count = UInt64(words[1]) { pages += count }
        }
        return pages * 4096
    }

    /// The zones' high less their min watermarks, summed, in bytes: the free memory kswapd lets
    /// allocations use before it reclaims (between high and low) and before they reclaim
    /// themselves (between low and min): room a file read over and over takes back.
    public static func watermarkSlack(zoneinfo: String) -> UInt64 {
        var high: UInt64 = 0
        var low: UInt64 = 0
        for line in zoneinfo.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count == 2, let count = UInt64(words[1]) else { continue }
            if words[0] == "high" { high += count } else if words[0] == "min" { low += count }
        }
        return high > low ? (high - low) * 4096 : 0
    }

    /// The pressure for this machine now.
    public static func now(modelOut: Double, modelBytes: UInt64, modelHeldBytes: UInt64 = 0) -> MemoryPressure? {
        guard let available = ProcFS.read("/proc/meminfo").flatMap(memAvailable(meminfo:)) else { return nil }
        return MemoryPressure(
            modelOut: modelOut, modelBytes: modelBytes, availableBytes: available, modelHeldBytes: modelHeldBytes,
            watermarkBytes: highWatermarks(zoneinfo: ProcFS.read("/proc/zoneinfo") ?? ""))
    }
}

/// Numbers as an experiment file writes them (`0.5`, `1`).
enum SpecNumber {
    static func text(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// Memory pinned by a child process (`inferlab stress --cpu 0 --lock-memory N`), outside the
/// engine and outside this process: if the kernel runs out, the OOM killer takes the locker
/// (the largest process), not the runner, and the trial records it. The child dies with this
/// process (a gated child) and is in the run's lease.
public final class MemoryLocker: Sendable {
    public let child: GatedChild
    public let bytes: UInt64

    /// What the locker writes to its status file once it holds its memory.
    public struct Status: Sendable, Codable, Equatable {
        /// Bytes pinned beyond the formula's to squeeze the file to its share.
        public var addedBytes: UInt64
        /// The file's resident share reached.
        public var resident: Double?

        public init(addedBytes: UInt64, resident: Double?) {
            self.addedBytes = addedBytes
            self.resident = resident
        }

        enum CodingKeys: String, CodingKey {
            case resident
            case addedBytes = "added_bytes"
        }
    }

    /// Bytes pinned in all, once the squeeze is done.
    public let status: Status?

    private init(child: GatedChild, bytes: UInt64, status: Status?) {
        self.child = child
        self.bytes = bytes
        self.status = status
    }

    /// Starts the locker with `executable` (the inferlab binary) and waits until its VmLck and
    /// RssAnon reach `bytes` (or it exits, or `timeout` passes). The outcome says what was pinned.
    ///
    /// With `squeeze` (a file and the share of it that may stay cached), the locker then pins
    /// more until no more than that share of the file is in the page cache: what the formula
    /// cannot know (other files' cache) measured instead; with `watermarkSlack` (machine-wide
    /// pressure, not a cgroup's) the zones' watermark slack is pinned after it.
    public static func start(
        executable: String, bytes: UInt64, squeeze: (file: String, resident: Double)? = nil,
        watermarkSlack: Bool = true,
        timeout: Double = 180, lease: RunLease = .current, place: (Int32) throws -> Void = { _ in }
    ) async -> (locker: MemoryLocker?, outcome: ControlOutcome) {
        var command = [
            executable, "stress", "--cpu", "0", "--lock-memory", "\(bytes)", "--duration", "86400s", "--builtin",
        ]
        let statusFile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "inferlab-locker-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json")
        defer { try? FileManager.default.removeItem(at: statusFile) }
        command += ["--status-file", statusFile.path]
        if let squeeze {
            command += ["--squeeze-file", squeeze.file, "--squeeze-resident", "\(squeeze.resident)"]
            if watermarkSlack { command.append("--squeeze-slack") }
        }
        let child: GatedChild
        do {
            // Its own process group, so `terminateGroup` reaches it alone.
            child = try GatedChild.spawn(command, newProcessGroup: true)
        } catch {
            return (nil, .notApplied("cannot start the memory locker: \(error)", value: "\(bytes)"))
        }
        lease.record(child, role: "memory-locker")
        do {
            try place(child.pid)
        } catch {
            child.terminateGroup()
            return (nil, .notApplied("cannot place the memory locker: \(error)", value: "\(bytes)"))
        }
        child.release()
        let started = MonotonicInstant.now()
        while (MonotonicInstant.now() - started).seconds < timeout {
            if Task.isCancelled {
                child.terminateGroup()
                return (nil, .notApplied("cancelled while pinning \(bytes) bytes", value: "\(bytes)"))
            }
            if child.hasExited {
                let status = await child.wait()
                let exit = ProcessExit.fromWaitStatus(status)
                let how = exit.signal.map { "was killed by signal \($0)" } ?? "exited with \(exit.status ?? -1)"
                return (nil, .notApplied("the memory locker \(how) before pinning \(bytes) bytes", value: "\(bytes)"))
            }
            // VmLck counts a locked range before its pages exist; RssAnon only once they do.
            let status = ProcFS.read("/proc/\(child.pid)/status").map(ProcessStatus.parse)
            if let status, (status.vmLck ?? 0) >= bytes, (status.rssAnon ?? 0) >= bytes,
                let data = try? Data(contentsOf: statusFile),
                let done = try? JSONDecoder().decode(Status.self, from: data)
            {
                let locker = MemoryLocker(child: child, bytes: bytes + done.addedBytes, status: done)
                var how =
                    "pinned by pid \(child.pid) (inferlab stress --lock-memory) in "
                    + String(format: "%.1f s", (MonotonicInstant.now() - started).seconds)
                if squeeze != nil {
                    how +=
                        "; squeezed: \(MemoryPressure.mib(done.addedBytes)) more pinned until the model was "
                        + (done.resident.map { String(format: "%.0f %%", $0 * 100) } ?? "?")
                        + " resident"
                }
                return (locker, .applied(how, value: "\(bytes + done.addedBytes)"))
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        child.terminateGroup()
        return (
            nil, .notApplied("the memory locker did not pin \(bytes) bytes within \(Int(timeout)) s", value: "\(bytes)")
        )
    }

    /// Whether the locker still holds its memory (the OOM killer may have taken it).
    public var isHolding: Bool { !child.hasExited }

    /// Releases the memory: SIGTERM, SIGKILL after 2 s, reaped.
    public func stop() { child.terminateGroup() }
}
