import Foundation
import Testing
import TestSupport

@testable import Constraints

/// The memory-lock limit of a launched process, on the real kernel (`prlimit`), with its
/// /proc/PID/limits line as the evidence.
@Suite struct MemoryLockTests {
    /// Whether this process may raise a hard limit (CAP_SYS_RESOURCE, bit 24 of CapEff): this
    /// sandbox's root lacks it.
    static var canRaise: Bool {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("CapEff:") } ?? ""
        let mask = UInt64(line.split(separator: "\t").last.map(String.init) ?? "", radix: 16) ?? 0
        return mask & (1 << 24) != 0
    }

    @Test func aProcessGetsTheLimitAndItsLimitsFileShowsIt() throws {
        let child = try ProbeChildProcess("/bin/sleep", ["30"])
        defer { child.kill() }
        // Lowering needs no privilege.
        let pinned = MemoryLock.apply(bytes: 1 << 20, to: child.pid)
        #expect(pinned.applied, "\(pinned.reason)")
        #expect(MemoryLock.limitsLine(of: child.pid) == "Max locked memory 1048576 1048576 bytes")
        #expect(pinned.reason.contains("Max locked memory 1048576 1048576 bytes"))
        // Raising the hard limit needs CAP_SYS_RESOURCE; without it the reason says so.
        let unlimited = MemoryLock.apply(bytes: nil, to: child.pid)
        if Self.canRaise {
            #expect(unlimited.applied, "\(unlimited.reason)")
            #expect(MemoryLock.limitsLine(of: child.pid) == "Max locked memory unlimited unlimited bytes")
        } else {
            #expect(!unlimited.applied)
            #expect(unlimited.reason.contains("needs root or CAP_SYS_RESOURCE"), "\(unlimited.reason)")
            #expect(MemoryLock.limitsLine(of: child.pid) == "Max locked memory 1048576 1048576 bytes")
        }
    }

    @Test func aProcessThatIsGoneIsNotAppliedWithTheReason() throws {
        let gone = try ProbeChildProcess("/bin/true", [])
        _ = gone.wait()
        let outcome = MemoryLock.apply(bytes: 1 << 20, to: gone.pid)
        #expect(!outcome.applied)
        #expect(outcome.reason.contains("No such process"), "\(outcome.reason)")
    }
}
