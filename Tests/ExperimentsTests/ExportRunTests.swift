import Foundation
import Testing
import TestSupport

@testable import ExperimentFile
@testable import Experiments
@testable import RunStore

/// `inferlab export` on a real run of the real model: every table as Parquet, read back by
/// pyarrow and DuckDB (in a virtual environment from PyPI, cached under ~/.cache/inferlab/) and
/// compared with the SQLite file, value by value; CSV and JSONL row counts beside them.
@Suite(.serialized, .enabled(if: TestPaths.hasDefaultModel, "run scripts/bootstrap first"))
struct ExportRunTests {
    /// The virtual environment with pyarrow and DuckDB, made once (about 15 s with PyPI).
    static func python() throws -> String {
        let venv = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(
            ".cache/inferlab/venv-parquet")
        let python = venv.appendingPathComponent("bin/python").path
        let ready = venv.appendingPathComponent(".ready").path
        if !FileManager.default.fileExists(atPath: ready) {
            let made = try runProcess("/usr/bin/python3", ["-m", "venv", "--clear", venv.path])
            try #require(made.status == 0, "python3 -m venv: \(made.stderr)")
            let pip = try runProcess(python, ["-m", "pip", "install", "--quiet", "pyarrow", "duckdb"])
            try #require(pip.status == 0, "pip install pyarrow duckdb: \(pip.stderr)")
            _ = FileManager.default.createFile(atPath: ready, contents: Data())
        }
        return python
    }

    @Test(.timeLimit(.minutes(4))) func everyTableRoundTripsThroughParquetWithItsTypes() async throws {
        let text = """
            name: export-round-trip
            engine: {kind: inferlab, model: smollm2-135m, threads: 2, ctx: 2048, max_seqs: 2}
            workload: {api: chat, corpus: data/prompts.jsonl, prompt_class: short, scenario: closed, concurrency: 2,
                       requests: 4, warmup: 0, max_tokens: 8, ignore_eos: true}
            probe: {interval_ms: 50}
            repetitions: 1
            """
        let directory = TestPaths.temporaryDirectory("export-run")
        let runner = ExperimentRunner(
            spec: try ExperimentSpec.parse(yaml: text), specText: text, directory: directory, resume: false,
            repositoryRoot: TestPaths.root, inferlabExecutable: TestPaths.inferlab)
        let outcome = try await runner.run()
        #expect(outcome.failed == 0)

        let out = directory.appendingPathComponent("parquet")
        let export = try runInferLab(["export", directory.path, "--format", "parquet", "--out", out.path])
        #expect(export.status == 0, "\(export.stderr)")
        for table in RunExport.tables {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("\(table).parquet").path))
        }
        let explain = try runInferLab(["explain", directory.path, "--slowest", "100", "--json"])
        #expect(explain.status == 0, "\(explain.stderr)")
        let explainFile = directory.appendingPathComponent("explain.json")
        try Data(explain.stdout.utf8).write(to: explainFile)

        let check = try runProcess(
            try Self.python(),
            [
                TestPaths.root.appendingPathComponent("Tests/Fixtures/parquet/check.py").path,
                directory.appendingPathComponent("results.sqlite").path, out.path, explainFile.path,
            ])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        struct Checked: Decodable {
            struct Table: Decodable { var rows: Int }
            var tables: [String: Table]
            var problems: [String]
        }
        let checked = try JSONDecoder().decode(Checked.self, from: Data(check.stdout.utf8))
        #expect(checked.problems.isEmpty, "\(checked.problems)")
        #expect(checked.tables["requests"]?.rows == 4)
        #expect(checked.tables["explanations"]?.rows == 4)
        #expect((checked.tables["events"]?.rows ?? 0) >= 4 * 8)
        #expect((checked.tables["engine_steps"]?.rows ?? 0) > 0)

        // CSV and JSONL: the same rows (a header line more in CSV).
        let csv = try runInferLab([
            "export", directory.path, "--format", "csv", "--table", "requests", "--out", out.path,
        ])
        #expect(csv.status == 0, "\(csv.stderr)")
        let csvLines = try String(contentsOf: out.appendingPathComponent("requests.csv"), encoding: .utf8)
            .split(separator: "\n")
        #expect(csvLines.count == 5 && csvLines[0].hasPrefix("trial_idx,level,repetition,trial_label,id,run_id,"))
        let jsonl = try runInferLab([
            "export", directory.path, "--format", "jsonl", "--table", "trials", "--out", out.path,
        ])
        #expect(jsonl.status == 0, "\(jsonl.stderr)")
        #expect(
            try String(contentsOf: out.appendingPathComponent("trials.jsonl"), encoding: .utf8).split(separator: "\n")
                .count == 1)

        // Bad input: an unknown table or format is a clear error, exit 2, and nothing is written.
        let bad = try runInferLab(["export", directory.path, "--table", "nope", "--out", out.path + "-bad"])
        #expect(bad.status == 2 && bad.stderr.contains("unknown table 'nope'"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path + "-bad"))
        let format = try runInferLab(["export", directory.path, "--format", "xlsx"])
        #expect(format.status == 2 && format.stderr.contains("--format must be parquet, csv or jsonl"))
    }

    /// The writer's edge cases, read back by pyarrow: nulls in every type, booleans, UTF-8, a
    /// table wider than 15 columns (the long list header) and more rows than one row group.
    @Test func edgeCasesReadBackWithPyarrow() throws {
        var columns: [ExportTable.Column] = [
            .init("id", .integer, nullable: false), .init("x", .double), .init("name", .text), .init("ok", .boolean),
        ]
        columns += (0..<14).map { .init("c\($0)", .integer) }
        let count = ParquetWriter.rowGroupSize + 10
        var rows: [[ExportTable.Value]] = []
        for i in 0..<count {
            let x: ExportTable.Value = i % 3 == 0 ? .null : .double(Double(i) / 4)
            let name: ExportTable.Value = i % 5 == 0 ? .null : .text(i % 2 == 0 ? "é\(i)" : "a,\"b\"\n")
            let ok: ExportTable.Value = i % 7 == 0 ? .null : .boolean(i % 2 == 0)
            var row: [ExportTable.Value] = [.integer(Int64(i)), x, name, ok]
            for c in 0..<14 { row.append(c == 13 && i % 2 == 1 ? .null : .integer(Int64(i * c))) }
            rows.append(row)
        }
        let file = TestPaths.temporaryDirectory("parquet-edges").appendingPathComponent("t.parquet")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try ParquetWriter.data(ExportTable(name: "t", columns: columns, rows: rows)).write(to: file)
        let script = """
            import pyarrow.parquet as pq, json, sys
            f = pq.ParquetFile(sys.argv[1]); t = f.read()
            print(json.dumps({"rows": t.num_rows, "groups": f.num_row_groups, "types": [str(x) for x in t.schema.types[:4]],
              "nullable": [t.schema.field(i).nullable for i in range(4)], "x3": t.column("x")[3].as_py(),
              "x0": t.column("x")[0].as_py(), "name2": t.column("name")[2].as_py(), "name1": t.column("name")[1].as_py(),
              "ok": t.column("ok").to_pylist()[:8], "c13": t.column("c13").to_pylist()[:3],
              "last": t.column("id")[-1].as_py(), "nulls": t.column("name").null_count}))
            """
        let read = try runProcess(try Self.python(), ["-c", script, file.path])
        #expect(read.status == 0, "\(read.stderr)")
        struct Read: Decodable {
            var rows: Int
            var groups: Int
            var types: [String]
            var nullable: [Bool]
            var x3: Double?
            var x0: Double?
            var name2: String?
            var name1: String?
            var ok: [Bool?]
            var c13: [Int?]
            var last: Int
            var nulls: Int
        }
        let r = try JSONDecoder().decode(Read.self, from: Data(read.stdout.utf8))
        #expect(r.rows == count && r.groups == 2 && r.last == count - 1)
        #expect(r.types == ["int64", "double", "string", "bool"] && r.nullable == [false, true, true, true])
        #expect(r.x3 == nil && r.x0 == nil && r.name2 == "é2" && r.name1 == "a,\"b\"\n")
        #expect(r.ok == [nil, false, true, false, true, false, true, nil])
        #expect(r.c13 == [0, nil, 26])
        #expect(r.nulls == (count + 4) / 5)
    }
}
