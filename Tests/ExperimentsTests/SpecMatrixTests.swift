import Foundation
import InferLabCore
import InferenceCore
import LoadGen
import Testing
import TestSupport

@testable import ExperimentFile
@testable import Experiments

enum JSONDecoderForTests {
    static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(json.utf8))
    }
}

@Suite struct SpecMatrixTests {
    @Test func trialsInterleaveLevelsAcrossRepetitions() throws {
        let spec = try ExperimentSpec.parse(
            yaml: """
                name: order
                engine: {kind: inferlab}
                workload: {concurrency: 2}
                matrix:
                  scheduler: [continuous, single]
                  concurrency: [1, 4]
                repetitions: 2
                """)
        let trials = spec.trials()
        #expect(trials.count == 8)
        #expect(trials.map(\.index) == Array(0..<8))
        #expect(trials.map(\.level) == [0, 1, 2, 3, 0, 1, 2, 3])
        #expect(trials.map(\.repetition) == [1, 1, 1, 1, 2, 2, 2, 2])
        // File order, the last variable varying fastest.
        #expect(
            trials.prefix(4).map(\.label) == [
                "scheduler=continuous concurrency=1", "scheduler=continuous concurrency=4",
                "scheduler=single concurrency=1", "scheduler=single concurrency=4",
            ])
        #expect(
            trials[3].config.engine.server.engine.scheduler.kind == .single
                && trials[3].config.workload.concurrency == 4)
        #expect(trials[0].config.workload.concurrency == 1)
    }

    @Test func variantsCombineWithTheMatrixAndSetTheirValues() throws {
        let spec = try ExperimentSpec.parse(
            yaml: """
                name: variants
                engine: {kind: generate, load_mode: mmap}
                constraints: {memory_max: 1G}
                variants:
                  - {name: baseline}
                  - {name: pinned, cpus: "0-1"}
                  - {name: locked, load_mode: mlock, memory_max: none, memory_high: 512M}
                matrix:
                  threads: [1, 2]
                repetitions: 1
                """)
        let trials = spec.trials()
        #expect(trials.count == 6)
        #expect(trials.map(\.variant) == ["baseline", "baseline", "pinned", "pinned", "locked", "locked"])
        #expect(trials[2].label == "pinned cpus=0-1 threads=1")
        #expect(trials[2].config.constraints.cpus == "0-1")
        #expect(trials[0].config.constraints.cpus == nil)
        #expect(trials[0].config.constraints.memoryMax == 1 << 30)
        #expect(trials[4].config.constraints.memoryMax == nil)
        #expect(trials[4].config.constraints.memoryHigh == 512 << 20)
        let locked = trials[5].config.engine.server.engine
        #expect(locked.model.loadMode == .mlock && locked.context.threads == 2)
    }

    @Test func settingsApplyThroughTheBlocksOwnDecoders() throws {
        let base = TrialConfig(
            engine: EngineSpec(kind: .inferlab), workload: BenchConfiguration(), constraints: ConstraintSpec())
        let applied = try base.applying([
            Setting("memory_max", "1.5G"), Setting("cpu_quota", "none"), Setting("sampler", "top_k"),
            Setting("quantization", "q4_k_m"), Setting("prefix_cache", "on"), Setting("cpus", "0, 1"),
            Setting("batch_tokens", "256"), Setting("step_target_ms", "250"), Setting("max_tokens", "16"),
        ])
        #expect(applied.constraints.memoryMax == 3 << 29 && applied.constraints.cpuQuota == nil)
        #expect(applied.constraints.cpus == "0,1")
        #expect(applied.workload.sampler == .topK && applied.workload.maxTokens == 16)
        #expect(applied.engine.quantization == .q4_k_m && applied.engine.server.engine.prefixCache)
        let scheduler = applied.engine.server.engine.scheduler
        #expect(scheduler.batchTokens == 256 && scheduler.stepTargetMilliseconds == 250)
        // Untouched knobs keep the base's values.
        #expect(applied.engine.server.engine.context == base.engine.server.engine.context)
        // A number is written without a trailing .0, so labels read as the file does.
        #expect(Setting("cpu_quota", "1.0").description == "cpu_quota=1")
        #expect(ScalarText.cpuList("0-2,5") == [0, 1, 2, 5])
        #expect(ScalarText.cpuList("2-1") == nil)
    }

    /// The paging study's variables: the share of the model out of memory, or a size to pin.
    @Test func modelOutAndLockMemoryAreMatrixVariablesThePlanShows() throws {
        let spec = try ExperimentSpec.parse(
            yaml: """
                name: pressure
                engine: {kind: inferlab}
                probe: {page_trace: true}
                matrix:
                  model_out: [0, 0.5, 1]
                repetitions: 1
                """)
        #expect(spec.probe.pageTrace)
        #expect(spec.trials().map { $0.config.constraints.modelOut } == [0, 0.5, 1])
        let text = try ExperimentPlan.make(spec, repositoryRoot: TestPaths.root).text()
        #expect(text.contains("model_out=0.5"), "\(text)")
        let pinned = try ExperimentSpec.parse(
            yaml: """
                name: pinned
                engine: {kind: inferlab}
                matrix:
                  lock_memory: [none, 2G]
                repetitions: 1
                """)
        #expect(pinned.trials().map { $0.config.constraints.lockMemory } == [nil, 2 << 30])
        let plan = try ExperimentPlan.make(pinned, repositoryRoot: TestPaths.root).text()
        #expect(plan.contains("lock_memory=2147483648"), "\(plan)")
    }

    @Test func everyVariableBelongsToOneBlock() {
        var seen: [String: SpecSection] = [:]
        for section in SpecSection.allCases {
            for key in section.keys {
                #expect(seen[key] == nil, "\(key) is a key of \(seen[key]?.rawValue ?? "") and \(section.rawValue)")
                seen[key] = section
            }
        }
        // Every serve knob is a matrix variable, except those the runner owns.
        for key in ServerConfiguration.keys where !["host", "port", "step_log", "api_key"].contains(key) {
            #expect(SpecSection.of(key) == .engine, "\(key)")
        }
    }

    @Test func tooManyTrialsAreRefused() {
        let yaml = """
            name: huge
            engine: {kind: inferlab}
            matrix:
              threads: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
              ctx: [512, 1024, 2048, 4096, 8192]
              max_tokens: [8, 16, 32, 64, 128]
              concurrency: [1, 2, 4, 8]
            repetitions: 3
            """
        let error = #expect(throws: ConfigurationError.self) { try ExperimentSpec.parse(yaml: yaml) }
        #expect(error?.description.hasPrefix("matrix: expands to 3000 trials") == true)
    }
}
