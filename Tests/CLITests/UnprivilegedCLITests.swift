import Foundation
import Testing
import TestSupport

/// A user without root: everything that does not need it runs (the engine, the load, the probe
/// of their own processes, the report), and each control that does is reported `not applied`
/// with the reason, in the run's output, its report and its verdict. The guest's
/// `RealCgroupV2Tests` show the same for v2, undelegated and delegated.
@Suite(
    .serialized,
    .enabled(if: TestPaths.hasDefaultModel && getuid() == 0, "needs the model, and root to become nobody"))
struct UnprivilegedCLITests {
    static let nobody: UInt32 = 65534
    static let spec = """
        name: unprivileged-quota
        engine: {kind: inferlab, model: smollm2-135m, threads: 2, ctx: 512}
        workload: {api: chat, corpus: data/prompts.jsonl, prompt_class: short, scenario: closed, concurrency: 1,
                   requests: 2, warmup: 0, max_tokens: 8}
        probe: {interval_ms: 100}
        matrix:
          cpu_quota: [none, 0.5]
        repetitions: 1
        evidence:
          app: [ttft.p99]
          mechanism: [cgroup.cpu.throttled_usec]
          control: [process.majflt]
        """

    /// A directory `nobody` owns with what a user's own installation has: the binary, the
    /// repository's corpus and catalogue, the model in its cache and llama.cpp's libraries (the
    /// bootstrap's are beneath /root, mode 700, and a checkout may be too).
    func userInstallation() throws -> URL {
        let directory = TestPaths.temporaryDirectory("unprivileged")
        let models = directory.appendingPathComponent("cache/models")
        let libraries = directory.appendingPathComponent("lib")
        let repository = directory.appendingPathComponent("repo")
        for made in [
            models, libraries, directory.appendingPathComponent("home"), directory.appendingPathComponent("bin"),
            repository.appendingPathComponent("data"), repository.appendingPathComponent("models"),
        ] {
            try FileManager.default.createDirectory(at: made, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(
            atPath: TestPaths.inferlab, toPath: directory.appendingPathComponent("bin/inferlab").path)
        for file in ["data/prompts.jsonl", "models/catalog.json"] {
            try FileManager.default.copyItem(
                at: TestPaths.root.appendingPathComponent(file), to: repository.appendingPathComponent(file))
        }
        // A copy: a hard link would share the inode, and the chown below would change the original.
        try FileManager.default.copyItem(
            atPath: TestPaths.defaultModel, toPath: models.appendingPathComponent("smollm2-135m.gguf").path)
        let built = TestPaths.root.appendingPathComponent(".deps/llama.cpp/lib").resolvingSymlinksInPath()
        for name in try FileManager.default.contentsOfDirectory(atPath: built.path) where name.contains(".so") {
            try FileManager.default.copyItem(
                at: built.appendingPathComponent(name).resolvingSymlinksInPath(),
                to: libraries.appendingPathComponent(name))
        }
        try Self.spec.write(to: directory.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)
        _ = try runProcess("/bin/chown", ["-R", "\(Self.nobody):\(Self.nobody)", directory.path])
        return directory
    }

    func asNobody(_ directory: URL, _ arguments: [String], program: String? = nil) throws -> CommandResult {
        try runProcess(
            "/usr/bin/setpriv",
            [
                "--reuid=\(Self.nobody)", "--regid=\(Self.nobody)", "--clear-groups", "env",
                "HOME=\(directory.appendingPathComponent("home").path)",
                "INFERLAB_CACHE=\(directory.appendingPathComponent("cache").path)",
                "LD_LIBRARY_PATH=\(directory.appendingPathComponent("lib").path)",
                "INFERLAB_ROOT=\(directory.appendingPathComponent("repo").path)",
                program ?? directory.appendingPathComponent("bin/inferlab").path,
            ] + arguments)
    }

    @Test(.timeLimit(.minutes(3))) func aRecipeWithACPUQuotaRunsAndSaysTheQuotaWasNotApplied() throws {
        let directory = try userInstallation()
        defer { try? FileManager.default.removeItem(at: directory) }
        let runDirectory = directory.appendingPathComponent("run")
        let run = try asNobody(
            directory, ["run", directory.appendingPathComponent("spec.yaml").path, "--out", runDirectory.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("2 of 2 trials finished, 0 failed"), "\(run.stdout)")
        let notApplied = run.stderr.split(separator: "\n").filter { $0.contains("not applied") }
        #expect(notApplied.count == 1, "\(run.stderr)")
        let line = try #require(notApplied.first)
        #expect(line.contains("trial 1 (cpu_quota=0.5): cpu_quota not applied: no cgroup: "), "\(line)")
        #expect(line.contains("Permission denied"), "\(line)")
        // The report says it too, and does not judge the quota it never set.
        let summary = try String(contentsOf: runDirectory.appendingPathComponent("summary.md"), encoding: .utf8)
        #expect(summary.contains("## Controls that did not take effect"), "\(summary)")
        #expect(summary.contains("**inconclusive**: cpu\\_quota not applied"), "\(summary)")
        #expect(!summary.contains("**supported**"))
    }

    /// The probe of one's own process needs no privilege; a cgroup control does, and says so.
    @Test func probeAndExecOfOwnProcessesWork() throws {
        let directory = try userInstallation()
        defer { try? FileManager.default.removeItem(at: directory) }
        let probe = try asNobody(
            directory,
            [
                "-c",
                "sleep 5 >/dev/null 2>&1 & exec '\(directory.path)/bin/inferlab' probe --pid $! --interval 200ms "
                    + "--duration 1s --json",
            ],
            program: "/bin/sh")
        #expect(probe.status == 0, "\(probe.stderr)")
        let samples = probe.stdout.split(separator: "\n")
        #expect(samples.count >= 3, "\(probe.stdout)")
        #expect(samples.last?.contains("\"rss_bytes\"") == true, "\(samples.last ?? "")")
        let exec = try asNobody(directory, ["exec", "--cpu-quota", "0.5", "--", "true"])
        #expect(exec.status == 0, "\(exec.stderr)")
        #expect(exec.stderr.contains("cpu_quota: not applied: no cgroup: "), "\(exec.stderr)")
    }
}
