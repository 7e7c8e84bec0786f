import Foundation
import Testing
import TestSupport

/// `inferlab run FILE --plan` validates and prints every trial with its resolved configuration
/// and an estimate, and starts nothing.
@Suite struct PlanCLITests {
    @Test func thePlanListsEveryTrialWithItsConfigurationAndRunsNothing() throws {
        let directory = TestPaths.temporaryDirectory("plan")
        let out = directory.appendingPathComponent("run")
        let result = try runInferLab([
            "run", TestPaths.root.appendingPathComponent("experiments/quickstart.yaml").path, "--plan", "--out",
            out.path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(
            lines.first?.hasPrefix("experiment quickstart: 4 level(s) x 2 repetition(s) = 8 trial(s), estimated")
                == true)
        #expect(lines.filter { $0.hasPrefix("trial ") }.count == 8)
        #expect(lines.contains { $0.hasPrefix("trial 4/8: level 3 repetition 1: scheduler=single concurrency=4") })
        // The resolved knobs: the recipe's own, the swept ones, and the engine's defaults.
        let engines = lines.filter { $0.hasPrefix("  engine: ") }
        #expect(engines.count == 8)
        #expect(
            engines.allSatisfy {
                $0.contains("ctx=2048") && $0.contains("max_seqs=4") && $0.contains("batch_tokens=2048")
            })
        #expect(engines[2].contains("scheduler=single") && engines[0].contains("scheduler=continuous"))
        #expect(lines.filter { $0.hasPrefix("  workload: ") }.allSatisfy { $0.contains("max_tokens=32") })
        #expect(!FileManager.default.fileExists(atPath: out.path), "--plan starts nothing")
    }

    @Test func aBadFileIsAUsageErrorNamingTheField() throws {
        let file = TestPaths.temporaryDirectory("plan-bad").appendingPathComponent("bad.yaml")
        try "name: bad\nengine: {kind: inferlab, batch_tokens: lots}\n".write(
            to: file, atomically: true, encoding: .utf8)
        let result = try runInferLab(["run", file.path, "--plan"])
        #expect(result.status == 2)
        #expect(
            result.stderr.hasPrefix("error: engine.batch_tokens: expected an integer, got \"lots\""), "\(result.stderr)"
        )
    }
}

/// `inferlab serve --config FILE`: the file's knobs are serve's flags, and a bad file is one
/// clear line naming the file and the key, before anything binds.
@Suite struct ServeConfigCLITests {
    @Test(arguments: [
        ("batch_tokens: lots\n", "batch_tokens: expected an integer, got \"lots\""),
        ("batch_token: 256\n", "batch_token: unknown key \"batch_token\"; known keys: "),
        ("max_seqs: 4\nbatch_tokens: 4\n", "batch_tokens must exceed max_seqs"),
        ("- not\n- a mapping\n", "not a mapping of serve's keys"),
    ])
    func aBadConfigFileIsAUsageErrorNamingTheKey(text: String, expected: String) throws {
        let file = TestPaths.temporaryDirectory("serve-config").appendingPathComponent("engine.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let result = try runInferLab(["serve", "--config", file.path, "--port", "0"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("error: "), "\(result.stderr)")
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        if !text.hasPrefix("max_seqs") { #expect(result.stderr.contains(file.path), "\(result.stderr)") }
    }
}
