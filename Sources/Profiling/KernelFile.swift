import Foundation
import SystemProbe

/// Writes of tracefs files, whose write errors are the kernel's answer to what was written (a
/// refused probe definition, an unknown clock); reads are `ProcFS.read` (these files say their
/// size is 0, so Foundation's `contentsOfFile` reads nothing).
enum KernelFile {
    /// The whole text of a file (procfs, tracefs: files that say their size is 0), or nil.
    static func read(_ path: String) -> String? { ProcFS.read(path) }

    static func write(_ value: String, to path: String, append: Bool = false) throws(ProfileError) {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC | (append ? O_APPEND : O_TRUNC))
        guard descriptor >= 0 else {
            throw ProfileError(.perfUnavailable, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { _ = close(descriptor) }
        let line = Array((value + "\n").utf8)
        let written = line.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.count else {
            throw ProfileError(
                .perfUnavailable, "writing \(value) to \(path) failed: \(String(cString: strerror(errno)))")
        }
    }
}

extension KernelFile {
    /// A process's threads by tid, with their names (`task/TID/comm`).
    static func threadNames(of pid: Int32) -> [Int32: String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        var names: [Int32: String] = [:]
        for task in tasks {
            guard let tid = Int32(task), let comm = read("/proc/\(pid)/task/\(task)/comm") else { continue }
            names[tid] = comm.trimmingCharacters(in: .newlines)
        }
        return names
    }

    /// Events a tracefs instance's ring buffers overwrote or dropped so far, over every CPU.
    static func lostEvents(instance: String) -> Int {
        let cpus = (try? FileManager.default.contentsOfDirectory(atPath: "\(instance)/per_cpu")) ?? []
        var lost = 0
        for cpu in cpus {
            let stats = read("\(instance)/per_cpu/\(cpu)/stats") ?? ""
            for line in stats.split(separator: "\n")
            where line.hasPrefix("overrun:") || line.hasPrefix("dropped events:") {
                lost += line.split(separator: " ").last.flatMap { Int($0) } ?? 0
            }
        }
        return lost
    }
}
