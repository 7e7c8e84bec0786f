import Foundation
import Testing
import TestSupport

/// `inferlab` started in the background, with its output in files.
final class BackgroundInferLab: Sendable {
    let process: Process
    let waiter: ProcessWaiter
    let output: URL

    init(_ arguments: [String], output: URL) throws {
        self.output = output
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.inferlab)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["INFERLAB_ROOT": TestPaths.root.path]) {
            $1
        }
        for name in ["stdout", "stderr"] {
            _ = FileManager.default.createFile(atPath: output.appendingPathComponent(name).path, contents: nil)
        }
        process.standardOutput = FileHandle(forWritingAtPath: output.appendingPathComponent("stdout").path)
        process.standardError = FileHandle(forWritingAtPath: output.appendingPathComponent("stderr").path)
        waiter = try process.start()
        self.process = process
    }

    var pid: Int32 { process.processIdentifier }

    /// Waits for the exit; the exit status, or the signal for a killed process.
    func wait() -> Int32 {
        waiter.wait()
        return process.terminationStatus
    }

    var stdout: String { (try? String(contentsOf: output.appendingPathComponent("stdout"), encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: output.appendingPathComponent("stderr"), encoding: .utf8)) ?? "" }
}

/// What /proc says about processes.
enum Processes {
    /// Whether `pid` runs (a zombie does not: here init does not reap orphans, so a killed
    /// orphan stays a zombie).
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(close, offsetBy: 2)...].prefix(1)
        return state != "Z" && state != "X"
    }

    /// The running children of `pid`.
    static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { child in
            guard isRunning(child), let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == pid
        }
    }

    static func commandLine(_ pid: Int32) -> String {
        let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
    }

    /// The cgroup directories whose names start with `prefix`, in every hierarchy (memory is
    /// nested two levels down here).
    static func cgroups(named prefix: String) -> [String] {
        var found: [String] = []
        func visit(_ directory: String, depth: Int) {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                let path = directory + "/" + name
                guard FileManager.default.fileExists(atPath: path + "/cgroup.procs") else { continue }
                if name.hasPrefix(prefix) {
                    found.append(path)
                } else if depth < 3 {
                    visit(path, depth: depth + 1)
                }
            }
        }
        for mount in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
            visit("/sys/fs/cgroup/" + mount, depth: 1)
        }
        return found.sorted()
    }

    /// Polls `condition` every 20 ms until it holds or `seconds` pass; whether it held.
    static func eventually(within seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }
}

/// `kill -9` and Ctrl-C of `inferlab run` mid-trial, on the real model with a real cgroup v1
/// child (cpu_quota), and the next run removing what the killed one left.
@Suite(.serialized, .enabled(if: TestPaths.hasDefaultModel, "run scripts/bootstrap first"))
struct RunLifecycleCLITests {
    /// 200 requests of 64 tokens on one thread: minutes, so the trial is still loading when it
    /// is killed.
    static let longSpec = """
        name: lifecycle-long
        engine: {kind: inferlab, model: smollm2-135m, threads: 1, ctx: 512}
        workload: {api: chat, corpus: data/prompts.jsonl, scenario: closed, concurrency: 1, requests: 200, warmup: 0,
                   max_tokens: 64}
        constraints: {cpu_quota: 1.5}
        repetitions: 1
        """
    static let shortSpec = """
        name: lifecycle-short
        engine: {kind: inferlab, model: smollm2-135m, threads: 1, ctx: 512}
        workload: {api: chat, corpus: data/prompts.jsonl, scenario: closed, concurrency: 1, requests: 1, warmup: 0,
                   max_tokens: 4}
        repetitions: 1
        """

    /// The trial cgroups of run `pid`, in every hierarchy.
    static func trialCgroups(of pid: Int32) -> [String] { Processes.cgroups(named: "inferlab-trial-\(pid)-") }

    /// Starts the long run and waits until its engine serves inside the trial cgroup.
    func startLongRun(in directory: URL) throws -> (BackgroundInferLab, engine: Int32, cgroups: [String]) {
        let spec = directory.appendingPathComponent("long.yaml")
        try Self.longSpec.write(to: spec, atomically: true, encoding: .utf8)
        let run = try BackgroundInferLab(
            ["run", spec.path, "--out", directory.appendingPathComponent("long").path], output: directory)
        var engine: Int32?
        let serving = Processes.eventually(within: 60) {
            engine = Processes.children(of: run.pid).first { Processes.commandLine($0).contains(" serve ") }
            guard let engine else { return false }
            let procs = Self.trialCgroups(of: run.pid).compactMap {
                try? String(contentsOfFile: $0 + "/cgroup.procs", encoding: .utf8)
            }
            return procs.contains { $0.split(separator: "\n").contains(Substring("\(engine)")) }
        }
        #expect(serving, "no engine in a trial cgroup: \(run.stderr)")
        Thread.sleep(forTimeInterval: 3)  // into the load (the model loads in well under a second)
        return (run, try #require(engine), Self.trialCgroups(of: run.pid))
    }

    @Test(.timeLimit(.minutes(3))) func killNineMidTrialTakesTheEngineAndTheNextRunRemovesTheCgroups() throws {
        try #require(getuid() == 0, "a cgroup for the trial needs root")
        let directory = TestPaths.temporaryDirectory("lifecycle-kill")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (run, engine, cgroups) = try startLongRun(in: directory)
        #expect(!cgroups.isEmpty)

        kill(run.pid, SIGKILL)
        #expect(run.wait() == SIGKILL)
        #expect(Processes.eventually(within: 2) { !Processes.isRunning(engine) }, "engine \(engine) outlived its run")
        #expect(cgroups.allSatisfy { FileManager.default.fileExists(atPath: $0) }, "nothing removed them yet")

        let spec = directory.appendingPathComponent("short.yaml")
        try Self.shortSpec.write(to: spec, atomically: true, encoding: .utf8)
        let next = try runInferLab(["run", spec.path, "--out", directory.appendingPathComponent("short").path])
        #expect(next.status == 0, "\(next.stderr)")
        let line = try #require(
            next.stderr.split(separator: "\n").first { $0.hasPrefix("inferlab run: removed ") }, "\(next.stderr)")
        #expect(line.contains("what run \(run.pid) left: 1 cgroup"), "\(line)")
        for cgroup in cgroups { #expect(!FileManager.default.fileExists(atPath: cgroup), "\(cgroup) is still there") }
        #expect(!FileManager.default.fileExists(atPath: "/run/inferlab/run-\(run.pid).json"), "the lease is gone too")
        #expect(next.stdout.contains("1 of 1 trials finished"))
    }

    @Test(.timeLimit(.minutes(3))) func ctrlCMidTrialTearsTheTrialDownAndExits130() throws {
        try #require(getuid() == 0, "a cgroup for the trial needs root")
        let directory = TestPaths.temporaryDirectory("lifecycle-int")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (run, engine, cgroups) = try startLongRun(in: directory)

        kill(run.pid, SIGINT)
        #expect(run.wait() == 130, "\(run.stderr)")
        #expect(run.stderr.contains("inferlab run: interrupted, tearing down the current trial"))
        #expect(run.stdout.contains("0 of 1 trials finished, 0 failed, run cancelled (continue with --resume"))
        #expect(!Processes.isRunning(engine))
        for cgroup in cgroups { #expect(!FileManager.default.fileExists(atPath: cgroup), "\(cgroup) is still there") }
        #expect(
            !FileManager.default.fileExists(atPath: "/run/inferlab/run-\(run.pid).json"), "a clean exit leaves no lease"
        )
    }
}

/// `exec`, `stress` and `probe` under signals: what they must do on SIGINT / SIGTERM, and their
/// children dying with them on `kill -9`.
@Suite struct SignalCLITests {
    @Test(arguments: [(SIGINT, "INT", Int32(7)), (SIGTERM, "TERM", 8)])
    func execPassesTheSignalOnAndStillReportsAndRemovesTheCgroup(signal: Int32, name: String, status: Int32) throws {
        let directory = TestPaths.temporaryDirectory("lifecycle-exec")
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = "trap 'exit \(status)' \(name); while :; do sleep 0.05; done"
        let exec = try BackgroundInferLab(["exec", "--json", "--", "sh", "-c", script], output: directory)
        var child: Int32?
        #expect(
            Processes.eventually(within: 10) {
                // The command itself, not the gated shell before it: the trap is its first word.
                child = Processes.children(of: exec.pid).first { Processes.commandLine($0).hasPrefix("sh -c trap") }
                return child != nil
            })
        Thread.sleep(forTimeInterval: 0.2)  // the shell has run its trap builtin
        kill(exec.pid, signal)
        #expect(exec.wait() == status, "\(exec.stderr)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(exec.stdout.utf8)) as? [String: Any], "\(exec.stdout)")
        #expect(report["exit_status"] as? Int == Int(status))
        if getuid() == 0 { #expect(report["cgroup_removed"] as? Bool == true) }
    }

    @Test func killNineOfExecTakesItsCommandAlong() throws {
        let directory = TestPaths.temporaryDirectory("lifecycle-exec9")
        defer { try? FileManager.default.removeItem(at: directory) }
        let exec = try BackgroundInferLab(["exec", "--", "sleep", "60"], output: directory)
        var child: Int32?
        #expect(
            Processes.eventually(within: 10) {
                child = Processes.children(of: exec.pid).first { Processes.commandLine($0).hasPrefix("sleep 60") }
                return child != nil
            })
        kill(exec.pid, SIGKILL)
        _ = exec.wait()
        let sleep = try #require(child)
        #expect(Processes.eventually(within: 2) { !Processes.isRunning(sleep) }, "sleep \(sleep) outlived exec")
        // Its cgroup stays until the next `inferlab run` removes it; this test removes it itself.
        for cgroup in Processes.cgroups(named: "inferlab-\(exec.pid)-") { rmdir(cgroup) }
    }

    /// stress-ng and its workers, once all are up.
    func stressNG(under pid: Int32, workers: Int) -> (Int32, [Int32])? {
        var found: (Int32, [Int32])?
        _ = Processes.eventually(within: 10) {
            guard let parent = Processes.children(of: pid).first else { return false }
            found = (parent, Processes.children(of: parent))
            return found!.1.count == workers
        }
        return found
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/stress-ng")))
    func stressStopsItsWorkersOnSIGTERMAndTheyDieWithItOnKillNine() throws {
        let directory = TestPaths.temporaryDirectory("lifecycle-stress")
        defer { try? FileManager.default.removeItem(at: directory) }
        let arguments = ["stress", "--cpu", "2", "--load", "10", "--duration", "60s"]
        let stopped = try BackgroundInferLab(arguments, output: directory)
        let (parent, workers) = try #require(stressNG(under: stopped.pid, workers: 2))
        kill(stopped.pid, SIGTERM)
        #expect(stopped.wait() == 0, "\(stopped.stderr)")
        #expect(stopped.stdout.contains("cpu_load: applied - stress-ng"))
        for pid in [parent] + workers { #expect(!Processes.isRunning(pid), "\(pid) still runs after stress stopped") }

        let killed = try BackgroundInferLab(arguments, output: directory)
        let (killedParent, killedWorkers) = try #require(stressNG(under: killed.pid, workers: 2))
        kill(killed.pid, SIGKILL)
        _ = killed.wait()
        for pid in [killedParent] + killedWorkers {
            #expect(Processes.eventually(within: 2) { !Processes.isRunning(pid) }, "\(pid) outlived inferlab stress")
        }
    }

    @Test func probeStopsOnSIGINTWithEverySampleWrittenAndItsCost() throws {
        let directory = TestPaths.temporaryDirectory("lifecycle-probe")
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = try ProbeChildProcess("/bin/sleep", ["30"])
        defer { target.kill() }
        let out = directory.appendingPathComponent("samples.jsonl")
        let probe = try BackgroundInferLab(
            ["probe", "--pid", "\(target.pid)", "--interval", "20ms", "--out", out.path, "--self-cost"],
            output: directory)
        #expect(Processes.eventually(within: 10) { ((try? Data(contentsOf: out))?.count ?? 0) > 0 })
        kill(probe.pid, SIGINT)
        #expect(probe.wait() == 0, "\(probe.stderr)")
        let text = try String(contentsOf: out, encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n")
        for line in lines { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil) }
        let cost = try #require(
            try JSONSerialization.jsonObject(with: Data(probe.stderr.utf8)) as? [String: Double], "\(probe.stderr)")
        #expect(cost["samples"] == Double(lines.count), "every sample taken is in the file")
        #expect(Processes.isRunning(target.pid), "the probe only watched")
    }
}
