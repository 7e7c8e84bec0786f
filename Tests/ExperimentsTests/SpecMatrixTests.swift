import Foundation
import Testing

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
        #expect(trials[3].config.engine.scheduler == .single && trials[3].config.workload.concurrency == 4)
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
        #expect(trials[5].config.engine.loadMode == .mlock && trials[5].config.engine.threads == 2)
    }

    @Test func valuesParseAndPrint() throws {
        #expect(try MatrixVariable.memoryMax.parse("300M", field: "f") == .bytes(300 << 20))
        #expect(try MatrixVariable.memoryMax.parse("1.5G", field: "f") == .bytes(3 << 29))
        #expect(try MatrixVariable.memoryMax.parse("268435456", field: "f").description == "256M")
        #expect(try MatrixVariable.cpuQuota.parse("none", field: "f") == MatrixValue.none)
        #expect(try MatrixVariable.sampler.parse("top_k", field: "f") == .word("top-k"))
        #expect(try MatrixVariable.quantization.parse("q4_k_m", field: "f") == .word("Q4_K_M"))
        #expect(try MatrixVariable.prefixCache.parse("on", field: "f") == .flag(true))
        #expect(try MatrixVariable.cpus.parse("0, 1", field: "f") == .word("0,1"))
        #expect(SpecParse.cpuList("0-2,5") == [0, 1, 2, 5])
        #expect(SpecParse.cpuList("2-1") == nil)
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
        let error = #expect(throws: SpecError.self) { try ExperimentSpec.parse(yaml: yaml) }
        #expect(error?.description.hasPrefix("matrix: expands to 3000 trials") == true)
    }
}
