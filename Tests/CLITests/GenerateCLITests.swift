import Foundation
import Testing
import TestSupport

@Suite("inferlab generate on the real model", .enabled(if: TestPaths.hasDefaultModel, "run scripts/bootstrap first"))
struct GenerateCLITests {
    let model = TestPaths.defaultModel

    @Test func jsonAndPlainOutputCarryTheSameGreedyText() throws {
        let arguments = [
            "generate", "--model", model, "--prompt", "The three primary colours are", "--max-tokens", "24",
        ]
        let plain = try runInferLab(arguments)
        let json = try runInferLab(arguments + ["--json"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(json.status == 0, "\(json.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let text = try #require(report["text"] as? String)
        #expect(!text.isEmpty)
        // Plain output streams the text, then a blank line and the metrics table.
        #expect(plain.stdout.hasPrefix(text + "\n\n"), "plain: \(plain.stdout.prefix(200))")
        for key in [
            "load_ms", "prompt_tokens", "completion_tokens", "prefill_ms", "ttft_ms", "decode_tokens_per_s",
            "token_latency_ms", "peak_rss_bytes", "token_times_ns", "text",
        ] {
            #expect(report[key] != nil, "missing \(key)")
        }
        let times = try #require(report["token_times_ns"] as? [Int])
        #expect(times.count == report["completion_tokens"] as? Int)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 }, "token timestamps increase")
        let latency = try #require(report["token_latency_ms"] as? [String: Double])
        #expect(
            latency["p50"]! <= latency["p95"]! && latency["p95"]! <= latency["p99"]!
                && latency["p99"]! <= latency["max"]!)
        // The same again: greedy is deterministic across processes.
        let again = try runInferLab(arguments + ["--json"])
        let second = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
        #expect(second["text"] as? String == text)
        for label in ["load", "prefill", "time to first token", "decode", "token latency", "peak RSS"] {
            #expect(plain.stdout.contains(label), "the table shows \(label)")
        }
    }

    @Test(arguments: [
        (["--model", "/nonexistent/model.gguf", "--prompt", "hi"], "does not exist"),
        (["--prompt", "hi", "--max-tokens", "0"], "max-tokens must be at least 1"),
        (["--prompt", "hi", "--temperature=-1"], "temperature must be >= 0"),
        (["--prompt", "hi", "--top-p", "0"], "top_p must be in (0, 1]"),
        (["--prompt", "hi", "--top-p", "1.5"], "top_p must be in (0, 1]"),
        (["--prompt", String(repeating: "word ", count: 400), "--ctx", "64"], "max_tokens 128) but n_ctx is"),
        (["--model", "no-such-model", "--prompt", "hi"], "unknown model 'no-such-model'"),
    ])
    func badInputIsAClearErrorWithExitCode2(arguments: [String], message: String) throws {
        let hasModel = arguments.contains("--model")
        let result = try runInferLab(["generate"] + (hasModel ? [] : ["--model", model]) + arguments)
        #expect(result.status == 2, "exit \(result.status): \(result.stderr)")
        #expect(result.stderr.hasPrefix("error: "), "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"))
    }

    @Test func serveRefusesAStepLogItCannotCreateBeforeBinding() throws {
        let result = try runInferLab([
            "serve", "--model", model, "--port", "0", "--step-log", "/nonexistent/steps.jsonl",
        ])
        #expect(result.status == 2, "exit \(result.status): \(result.stderr)")
        #expect(
            result.stderr.hasPrefix("error: --step-log: cannot create /nonexistent/steps.jsonl"), "\(result.stderr)")
        #expect(!result.stderr.contains("listening"))
    }

    @Test func aNonGGUFFileIsRefused() throws {
        let directory = TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fake = directory.appendingPathComponent("weights.gguf")
        try Data(repeating: 0x42, count: 4096).write(to: fake)
        let result = try runInferLab(["generate", "--model", fake.path, "--prompt", "hi"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("is not a GGUF model file"), "\(result.stderr)")
    }

    @Test func modelsListAndInfo() throws {
        let list = try runInferLab(["models", "list", "--json"])
        #expect(list.status == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(Set(rows.compactMap { $0["name"] as? String }) == ["smollm2-135m", "gemma3-270m", "synthetic-moe"])
        let info = try runInferLab(["models", "info", "smollm2-135m", "--json"])
        #expect(info.status == 0, "\(info.stderr)")
        let meta = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        #expect(meta["architecture"] as? String == "llama")
        #expect(meta["file_bytes"] as? Int == 98_362_432)
    }
}

@Suite("Bootstrap verification")
struct BootstrapTests {
    let fetch = TestPaths.root.appendingPathComponent("scripts/fetch-model").path

    @Test func aChecksumMismatchIsRefused() throws {
        let directory = TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("small.bin")
        try Data("InferLab".utf8).write(to: file)
        // sha256("InferLab") computed independently by sha256sum.
        let actual = try runProcess("/usr/bin/sha256sum", [file.path]).stdout.split(separator: " ")[0]
        let good = try runProcess(fetch, ["verify", file.path, String(actual), "8"])
        #expect(good.status == 0, "\(good.stderr)")
        let wrongHash = try runProcess(fetch, ["verify", file.path, String(repeating: "0", count: 64)])
        #expect(wrongHash.status == 3)
        #expect(wrongHash.stderr.contains("checksum mismatch"))
        let wrongSize = try runProcess(fetch, ["verify", file.path, String(actual), "9"])
        #expect(wrongSize.status == 3)
        #expect(wrongSize.stderr.contains("size 8 bytes, expected 9"))
        let missing = try runProcess(fetch, ["verify", directory.appendingPathComponent("nope").path, String(actual)])
        #expect(missing.status == 2)
    }

    @Test func aSecondBootstrapChangesNothing() throws {
        let bootstrap = TestPaths.root.appendingPathComponent("scripts/bootstrap").path
        let result = try runProcess(bootstrap, [])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("cached at"), "llama.cpp came from the cache: \(result.stderr)")
        #expect(!result.stderr.contains("building llama.cpp"), "nothing was rebuilt")
        #expect(
            FileManager.default.fileExists(
                atPath: TestPaths.root.appendingPathComponent(".deps/llama.cpp/lib/libllama.so").path))
    }
}
