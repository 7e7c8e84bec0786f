import InferenceCore
import InferLabCore
import LoadGen
import Testing

@testable import ExperimentFile
@testable import Experiments

@Suite struct SpecParsingTests {
    /// The example of the issue, verbatim.
    static let issueExample = """
        name: cpu-quota
        engine: {kind: inferlab, model: smollm2-135m, scheduler: continuous, threads: 2, ctx: 4096}
        workload: {api: chat, corpus: data/prompts.jsonl, scenario: closed, concurrency: 4,
                   requests: 48, warmup: 4, max_tokens: 64}
        probe: {interval_ms: 50}
        matrix:
          cpu_quota: [none, 1.5, 1.0, 0.5]
        repetitions: 3
        evidence:
          app: [ttft.p99, itl.p99]
          mechanism: [cgroup.cpu.throttled_usec]
          control: [psi.io.some_total, process.majflt]
        """

    @Test func issueExampleParses() throws {
        let spec = try ExperimentSpec.parse(yaml: Self.issueExample)
        #expect(spec.name == "cpu-quota")
        let server = spec.engine.server
        #expect(spec.engine.kind == .inferlab && server.engine.scheduler.kind == .continuous)
        #expect(server.engine.context.threads == 2 && server.engine.context.contextLength == 4096)
        #expect(server.model == "smollm2-135m")
        #expect(spec.workload.concurrency == 4 && spec.workload.requests == 48 && spec.workload.warmupRequests == 4)
        #expect(spec.workload.maxTokens == 64 && spec.workload.api == .chat && spec.workload.scenario == .closed)
        #expect(spec.probe.intervalMs == 50)
        #expect(spec.matrix.entries.count == 1)
        #expect(spec.matrix.entries[0].values == ["none", "1.5", "1", "0.5"])
        #expect(spec.repetitions == 3)
        #expect(spec.evidence?.control == ["psi.io.some_total", "process.majflt"])
    }

    @Test func defaultsAreDocumentedValues() throws {
        let spec = try ExperimentSpec.parse(yaml: "name: tiny\nengine: {kind: llama-server}\n")
        // The engine block's defaults are `inferlab serve`'s, written once in the configuration structs.
        #expect(spec.engine.server == ServerConfiguration())
        // The workload block's are `inferlab bench`'s.
        #expect(spec.workload == BenchConfiguration())
        #expect(spec.probe.intervalMs == 100 && spec.repetitions == 3 && spec.system == nil)
        #expect(spec.probe.profile == nil, "profiling is asked for")
        let profiled = try ExperimentSpec.parse(
            yaml: "name: tiny\nengine: {kind: llama-server}\nprobe: {profile: {hz: 99}}\n")
        #expect(profiled.probe.profile?.hz == 99 && profiled.probe.profile?.sched == true)
        #expect(profiled.probe.profile?.callGraph == .dwarf)
        #expect(spec.trials().count == 3)
        #expect(spec.trials().allSatisfy { $0.label == "baseline" && $0.level == 0 })
    }

    /// Each bad input and the exact message the user sees.
    @Test(arguments: [
        (
            "matrix:\n  cpu_quota: [none, 1.5, -1]",
            "matrix.cpu_quota[2]: expected a number of cores > 0 or \"none\", got \"-1\""
        ),
        ("matrix:\n  threds: [1, 2]", "matrix.threds: unknown key \"threds\"; known keys: "),
        ("workload: {concurency: 4}", "workload.concurency: unknown key \"concurency\""),
        ("color: blue", "color: unknown key \"color\""),
        ("engine: {kind: inferlab, threads: two}", "engine.threads: expected an integer, got \"two\""),
        (
            "engine: {kind: vllm}",
            "engine.kind: expected one of inferlab, llama-server, generate, external, got \"vllm\""
        ),
        ("engine: {model: smollm2-135m}", "engine.kind: missing required field"),
        ("engine: {kind: inferlab, threads: 0}", "engine.threads: threads must be at least 1 (got 0)"),
        (
            "engine: {kind: inferlab, max_seqs: 4, batch_tokens: 4}",
            "engine.batch_tokens: batch_tokens must exceed max_seqs"
        ),
        ("matrix:\n  step_target_ms: [250, -1]", "matrix.step_target_ms[1]: step_target_ms must be >= 0"),
        ("engine: {kind: llama-server, batch_tokens: 256}", "engine.batch_tokens: only applies to kind inferlab"),
        ("engine: {kind: inferlab, port: 9000}", "engine.port: is set by the runner for each trial"),
        ("engine: {kind: llama-server, scheduler: static}", "engine.scheduler: only applies to kind inferlab"),
        ("engine: {kind: external}", "engine.url: required for kind external"),
        ("workload: {max_tokens: 0}", "workload.max_tokens: must be at least 1 (got 0)"),
        ("workload: {scenario: poisson}", "workload.rate: required for scenario poisson"),
        ("workload: {url: \"http://x\"}", "workload.url: is set by the runner for each trial"),
        ("workload: {scenario: sweep, sweep: [1, 2]}", "workload.scenario: a trial is one window"),
        ("workload: {requests: 4, duration_s: 10}", "workload.duration_s: give either requests or duration_s"),
        ("workload: {rate: 2}", "workload.rate: only applies to scenario poisson, not closed"),
        ("matrix:\n  rate: [1, 2]", "matrix.rate: only applies to scenario poisson, not closed (level rate=1)"),
        ("matrix:\n  memory_max: [300M, 10K]", "matrix.memory_max[1]: expected a size of at least 1M"),
        ("matrix:\n  model_out: [0, 0.5, 1.5]", "matrix.model_out[2]: expected a fraction of the model from 0 to 1"),
        ("matrix:\n  model_out: [half]", "matrix.model_out[0]: expected a fraction of the model from 0 to 1"),
        ("matrix:\n  lock_memory: [1G, 10K]", "matrix.lock_memory[1]: expected a size of at least 1M"),
        (
            "constraints: {lock_memory: 1G, model_out: 0.5}",
            "constraints.model_out: expected either lock_memory or model_out (both pin memory), not both"
        ),
        ("probe: {page_trace: maybe}", "probe.page_trace: expected"),
        (
            "matrix:\n  scheduler: [single, turbo]",
            "matrix.scheduler[1]: expected one of single, static, dynamic, continuous, got \"turbo\""
        ),
        ("matrix:\n  cpus: [\"0\", \"0-\"]", "matrix.cpus[1]: expected a CPU list"),
        (
            "matrix:\n  background_load: [0, 150]",
            "matrix.background_load[1]: expected a percentage from 0 to 100, got \"150\""
        ),
        ("matrix:\n  threads: [1, 1]", "matrix.threads[1]: duplicate value 1"),
        ("matrix:\n  threads: 2", "matrix.threads: expected a list"),
        ("matrix:\n  threads: []", "matrix.threads: expected at least one value"),
        ("repetitions: 0", "repetitions: expected a repetition count from 1 to 100, got \"0\""),
        ("probe: {interval_ms: 5}", "probe.interval_ms: expected an interval in ms from 10 to 10000, got \"5\""),
        ("probe: {profile: {hz: 0}}", "probe.profile.hz: expected samples per second from 1 to 10000, got \"0\""),
        ("probe: {profile: {call_graph: lbr}}", "probe.profile.call_graph: expected"),
        ("probe: {profile: {frequency: 99}}", "probe.profile.frequency: unknown key"),
        ("system: {profile: fast}", "system.profile: expected bounded, paging or a profile file"),
        (
            "evidence: {app: [ttft.p99], mechanism: [cgroup.cpu.throttled_usec], control: [psi.io.some_total]}",
            "evidence: needs at least two levels"
        ),
        (
            "matrix: {threads: [1, 2]}\nevidence: {app: [ttft.p42], mechanism: [cgroup.x], control: [psi.io]}",
            "evidence.app[0]: expected an app metric, <"
        ),
        (
            "matrix: {threads: [1, 2]}\nevidence: {app: [ttft.p99], mechanism: [gpu.util], control: [psi.io]}",
            "evidence.mechanism[0]: expected an OS metric of the catalogue"
        ),
        ("variants: [{name: a, thread: 1}]", "variants[0].thread: unknown key \"thread\""),
        ("variants: [{name: a}, {name: a}]", "variants[1].name: duplicate variant \"a\""),
        (
            "matrix: {threads: [1, 2]}\nvariants: [{name: a, threads: 1}]",
            "variants[0].threads: also swept in matrix.threads"
        ),
        ("name: \"bad name\"", "name: expected 1 to 64 letters"),
        ("engine: [inferlab]", "engine: expected a mapping"),
        ("constraints: {cpu_quota: 0}", "constraints.cpu_quota: expected a number of cores > 0 or \"none\", got \"0\""),
    ])
    func badInputNamesTheField(fragment: String, expected: String) throws {
        var yaml = fragment
        if !fragment.hasPrefix("name:") { yaml = "name: test\n" + yaml }
        if !fragment.hasPrefix("engine") { yaml += "\nengine: {kind: inferlab}" }
        let error = try #require(throws: ConfigurationError.self) { try ExperimentSpec.parse(yaml: yaml) }
        #expect(error.description.hasPrefix(expected), "\(error.description)")
    }

    @Test func syntaxErrorsAndEmptyFiles() {
        #expect(throws: ConfigurationError.self) { try ExperimentSpec.parse(yaml: "") }
        #expect(throws: ConfigurationError.self) { try ExperimentSpec.parse(yaml: "- just\n- a list\n") }
        #expect(throws: ConfigurationError.self) { try ExperimentSpec.parse(yaml: "name: [unclosed\n") }
    }

    @Test func resolvedJSONRoundTrips() throws {
        let spec = try ExperimentSpec.parse(yaml: Self.issueExample)
        let json = try spec.resolvedJSON()
        #expect(json.contains("\"cpu_quota\""))
        let decoded = try JSONDecoderForTests.decode(ExperimentSpec.self, json)
        #expect(decoded.trials() == spec.trials())
    }

    @Test func aSystemPromptIsKeptAndRoundTrips() throws {
        let spec = try ExperimentSpec.parse(
            yaml: """
                name: shared-prefix
                engine: {kind: inferlab}
                workload: {system_prompt: "You are brief.", requests: 4}
                """)
        #expect(spec.workload.systemPrompt == "You are brief.")
        let decoded = try JSONDecoderForTests.decode(ExperimentSpec.self, try spec.resolvedJSON())
        #expect(decoded.trials().first?.config.workload.systemPrompt == "You are brief.")
    }

    /// `flash_attn` in `engine:`: YAML's unquoted `on` (a boolean in YAML 1.1) and `off` work, a
    /// matrix can vary it, and llama-server gets `-fa` for an explicit setting only.
    @Test func flashAttentionIsAnEngineKnobForBothEngines() throws {
        let spec = try ExperimentSpec.parse(
            yaml: """
                name: fa
                engine: {kind: inferlab, flash_attn: on}
                matrix: {flash_attn: [auto, "off"]}
                """)
        #expect(spec.engine.server.engine.context.flashAttention == .on)
        let settings = spec.trials().map(\.config.engine.server.engine.context.flashAttention)
        #expect(Set(settings) == [.auto, .off])
        let server = try ExperimentSpec.parse(yaml: "name: fa\nengine: {kind: llama-server, flash_attn: off}\n")
        let command = LlamaServerFlags.command(
            executable: "llama-server", server.engine.server, modelPath: "m.gguf", port: 1)
        #expect(command.joined(separator: " ").contains("-fa off"))
        let automatic = LlamaServerFlags.command(
            executable: "llama-server", ServerConfiguration(), modelPath: "m.gguf", port: 1)
        #expect(!automatic.contains("-fa"))
        #expect(throws: ConfigurationError.self) {
            try ExperimentSpec.parse(yaml: "name: fa\nengine: {kind: inferlab, flash_attn: fast}\n")
        }
    }

    /// A level that sets `start: cold` records its first request (no warm-up) unless it sets its
    /// own warm-up; a cold base configuration keeps the file's warm-up.
    @Test func aColdLevelRecordsItsFirstRequest() throws {
        let spec = try ExperimentSpec.parse(
            yaml: """
                name: cold
                engine: {kind: inferlab, model: smollm2-135m}
                workload: {requests: 4, warmup: 2}
                variants:
                  - {name: warm}
                  - {name: cold, start: cold}
                  - {name: cold-warmed, start: cold, warmup: 1}
                  - {name: pinned, pin_threads: true}
                """)
        let configs = try spec.levelConfigs()
        #expect(configs.map(\.workload.warmupRequests) == [2, 0, 1, 2])
        #expect(configs.map(\.constraints.start) == [.warm, .cold, .cold, .warm])
        #expect(configs.map(\.constraints.pinThreads) == [false, false, false, true])
        let base = try ExperimentSpec.parse(
            yaml:
                "name: b\nengine: {kind: inferlab, model: smollm2-135m}\nworkload: {warmup: 1}\nconstraints: {start: cold}\n"
        )
        #expect(try base.levelConfigs().map(\.workload.warmupRequests) == [1])
    }

    /// `precision:` and `price_per_hour` are checked before anything runs.
    @Test func precisionAndPriceAreValidated() throws {
        let head = "name: p\nengine: {kind: inferlab, model: smollm2-135m}\nrepetitions: 3\n"
        let spec = try ExperimentSpec.parse(
            yaml: head + "precision: {metrics: [itl.p99, process.rss, tokens_per_s], width: 0.05, max_repetitions: 8}\n"
                + "price_per_hour: 0.12\n")
        #expect(spec.precision?.maxRepetitions == 8 && spec.precision?.width == 0.05 && spec.pricePerHour == 0.12)
        for (bad, field) in [
            ("precision: {metrics: [itl.p77]}", "precision.metrics[0]"),
            ("precision: {width: 0}", "precision.width"),
            ("precision: {max_repetitions: 2}", "precision.max_repetitions"),
            ("precision: {widht: 0.1}", "precision.widht"),
            ("price_per_hour: -1", "price_per_hour"),
        ] {
            let error = try #require(throws: ConfigurationError.self) {
                try ExperimentSpec.parse(yaml: head + bad + "\n")
            }
            #expect(error.field == field, "\(bad): \(error.field)")
        }
    }
}
