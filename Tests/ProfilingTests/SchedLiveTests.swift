import Foundation
import Testing
import Constraints
import TestSupport

@testable import Profiling

/// The scheduler trace and `inferlab profile` on the real kernel: tracefs in a private instance,
/// nothing left behind, not even by a profile killed with SIGKILL.
@Suite(
    .serialized,
    .enabled(if: getuid() == 0, "tracefs needs root"),
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/perf"), "linux-perf is not installed"))
struct SchedLiveTests {
    /// A shell spinning on a CPU; SIGKILL it when done (a child spawned from a concurrency thread
    /// has SIGTERM blocked).
    static func spin() throws -> Process {
        let busy = Process()
        busy.executableURL = URL(fileURLWithPath: "/bin/sh")
        busy.arguments = ["-c", "while :; do :; done"]
        try busy.run()
        return busy
    }

    static func stop(_ processes: [Process]) {
        for process in processes {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Every tracefs instance named after `pid`, in every tracefs mounted.
    static func instances(of pid: Int32) -> [String] {
        TraceSession.inferlabInstances().filter { ($0 as NSString).lastPathComponent.hasPrefix("inferlab-\(pid)-") }
    }

    /// The private tracefs mounts of `pid`.
    static func mounts(of pid: Int32) -> [String] {
        let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        return mounts.split(separator: "\n").filter { $0.contains("inferlab-tracefs-\(pid)-") }.map(String.init)
    }

    @Test(.timeLimit(.minutes(1)))
    func aThreadSharingItsCPUsWithTwoSpinnersIsPreemptedByThemAndWaitsInTheRunQueue() throws {
        let target = try Self.spin()
        let rivals = try [Self.spin(), Self.spin()]
        defer { Self.stop([target] + rivals) }
        let capture = try SchedCapture.start(pid: target.processIdentifier)
        #expect(Self.instances(of: getpid()).count == 1)
        Thread.sleep(forTimeInterval: 1)
        let report = capture.finish()
        #expect(Self.instances(of: getpid()).isEmpty, "the instance is removed")
        #expect(Self.mounts(of: getpid()).isEmpty, "a private mount is removed")
        let analysis = try #require(report.analysis)
        let thread = try #require(analysis.threads.first { $0.tid == target.processIdentifier })
        #expect(thread.onCPUMs > 100 && thread.onCPUMs < 900, "three spinners share two CPUs")
        #expect(thread.preemptions > 0)
        // Who ran instead: other programs (the rivals, named sh, or whatever else the machine runs).
        #expect(thread.preemptedBy.contains { $0.kind == .otherProgram }, "\(thread.preemptedBy)")
        #expect(thread.runQueueLatency.count > 0 && thread.runQueueLatency.p99Us > 100)
        let machine = try #require(report.machine)
        #expect(machine.processCores > 0.05 && machine.otherCores > machine.processCores, "two rivals besides it")
    }

    @Test(.timeLimit(.minutes(2)))
    func aProfileKilledWithSIGKILLLeavesNothingOnceTheNextOneStarted() throws {
        let target = try Self.spin()
        defer { Self.stop([target]) }
        let directory = TestPaths.temporaryDirectory("profile-killed")
        let killed = Process()
        killed.executableURL = URL(fileURLWithPath: TestPaths.inferlab)
        killed.arguments = [
            "profile", "--pid", "\(target.processIdentifier)", "--duration", "60s", "--out", directory.path,
        ]
        killed.standardOutput = FileHandle.nullDevice
        killed.standardError = FileHandle.nullDevice
        try killed.run()
        let pid = killed.processIdentifier
        let deadline = Date().addingTimeInterval(30)
        while Self.instances(of: pid).isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        let left = Self.instances(of: pid)
        try #require(left.count == 1, "the profile opened its trace instance")
        Thread.sleep(forTimeInterval: 0.5)  // perf is running too
        kill(pid, SIGKILL)
        killed.waitUntilExit()
        #expect(FileManager.default.fileExists(atPath: left[0]), "SIGKILL left the instance (and its events on)")
        let enabled = try String(contentsOfFile: left[0] + "/events/sched/sched_switch/enable", encoding: .utf8)
        #expect(enabled.hasPrefix("1"))

        let next = try runInferLab([
            "profile", "--pid", "\(target.processIdentifier)", "--duration", "1s", "--out",
            directory.appendingPathComponent("next").path,
        ])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("removed what run \(pid) left"), "\(next.stderr)")
        #expect(Self.instances(of: pid).isEmpty)
        #expect(Self.mounts(of: pid).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: left[0]))
        // The killed profile's perf died with it (it is a child with a parent-death signal).
        let perfs = ProcFSList.commandLines().filter {
            $0.contains("perf") && $0.contains(directory.path + "/perf.data")
        }
        #expect(perfs.isEmpty, "\(perfs)")
        let sched =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: directory.appendingPathComponent("next/sched.json"))) as? [String: Any]
        #expect(sched?["applied"] as? Bool == true)
    }

    /// The command of the issue on a running `inferlab generate`.
    @Test(.timeLimit(.minutes(2)), .enabled(if: TestPaths.hasDefaultModel, "the default model is not installed"))
    func profilingARunningGenerateWritesFoldedStacksAFlameGraphAndTheSchedulersView() throws {
        let generate = Process()
        generate.executableURL = URL(fileURLWithPath: TestPaths.inferlab)
        generate.arguments = [
            "generate", "--model", TestPaths.defaultModel, "--prompt", "Tell me a long story.", "--max-tokens", "6000",
            "--ignore-eos", "--json",
        ]
        generate.standardOutput = FileHandle.nullDevice
        generate.standardError = FileHandle.nullDevice
        try generate.run()
        defer { Self.stop([generate]) }
        Thread.sleep(forTimeInterval: 3)  // loaded, decoding
        let directory = TestPaths.temporaryDirectory("profile-generate")
        let result = try runInferLab([
            "profile", "--pid", "\(generate.processIdentifier)", "--duration", "2s", "--out", directory.path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let folded = try String(contentsOf: directory.appendingPathComponent("stacks.folded"), encoding: .utf8)
        let lines = folded.split(separator: "\n")
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { line in line.split(separator: " ").last.flatMap { Int($0) } != nil })
        #expect(lines.contains { $0.hasPrefix("llama-worker-1;") }, "ggml's worker is named")
        let svg = try String(contentsOf: directory.appendingPathComponent("flamegraph.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<?xml") || svg.hasPrefix("<svg"))
        let functions = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("functions.json")))
                as? [String: Any])
        let byThread = try #require(functions["by_thread"] as? [[String: Any]])
        #expect(
            byThread.contains {
                $0["thread"] as? String == "llama-worker-1" && ($0["functions"] as? [Any])?.isEmpty == false
            })
        let data = try Data(contentsOf: directory.appendingPathComponent("sched.json"))
        let sched = try JSONDecoder().decode(SchedReport.self, from: data)
        let analysis = try #require(sched.analysis)
        #expect(analysis.threads.contains { $0.name == "llama-worker-1" })
        #expect(!analysis.computeThreads.isEmpty)
        for thread in analysis.threads where analysis.computeThreads.contains(thread.tid) {
            #expect(thread.onCPUMs > 100)
        }
        // The profile (a child that has ended) left no instance: each one there is a live process's.
        let orphans = TraceSession.inferlabInstances().filter { instance in
            let creator = Cgroups.creator(ofName: (instance as NSString).lastPathComponent) ?? 0
            return kill(creator, 0) != 0
        }
        #expect(orphans.isEmpty, "\(orphans)")
    }
}

/// Command lines of the processes now running.
enum ProcFSList {
    static func commandLines() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.filter { $0.allSatisfy(\.isNumber) }.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else {
                return nil
            }
            return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        }
    }
}
