import Foundation
@testable import LoadGen
import TestSupport
import Testing

@Suite("Corpus")
struct CorpusTests {
    @Test("the generator is deterministic and respects the length classes")
    func generator() throws {
        let count = CorpusGenerator.approximateTokenCount
        let a = try CorpusGenerator(count: 200, seed: 42).generate(countTokens: count)
        let b = try CorpusGenerator(count: 200, seed: 42).generate(countTokens: count)
        let c = try CorpusGenerator(count: 200, seed: 43).generate(countTokens: count)
        #expect(try a.jsonl() == b.jsonl())
        #expect(try a.jsonl() != c.jsonl())
        let classes = Dictionary(grouping: a.entries, by: { $0.class ?? "" })
        #expect(Set(classes.keys) == ["short", "medium", "long"])
        for entry in a.entries {
            let range = try #require(CorpusGenerator.classes.first { $0.name == entry.class }).tokens
            let tokens = try #require(entry.promptTokens)
            #expect(range.contains(tokens), "\(entry.id): \(tokens)")
            #expect(try count(entry.prompt ?? "") == tokens)
        }
    }

    @Test("JSONL round trip, prompt or messages")
    func roundTrip() throws {
        let corpus = Corpus(entries: [
            CorpusEntry(id: "1", prompt: "hi \"there\"\n", maxTokens: 5, class: "short"),
            CorpusEntry(
                id: "2", messages: [.init(role: "system", content: "be brief"), .init(role: "user", content: "x")]),
        ])
        let parsed = try Corpus.parse(jsonl: try corpus.jsonl())
        #expect(parsed == corpus)
        #expect(parsed.entries[1].promptText == "be brief\nx")
        #expect(parsed.entries[0].chatMessages == [.init(role: "user", content: "hi \"there\"\n")])
    }

    @Test("a system prompt leads every request: a system message for chat, a text prefix otherwise")
    func systemPrompt() throws {
        var configuration = BenchConfiguration()
        configuration.systemPrompt = "You are brief."
        let entry = CorpusEntry(id: "1", prompt: "Name a colour.")
        func body(_ api: BenchConfiguration.API) throws -> [String: Any] {
            configuration.api = api
            let data = WireRequest(entry: entry, configuration: configuration).body()
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        let chat = try body(.chat)["messages"] as? [[String: String]]
        #expect(
            chat == [["role": "system", "content": "You are brief."], ["role": "user", "content": "Name a colour."]])
        #expect(try body(.completions)["prompt"] as? String == "You are brief.\n\nName a colour.")
        #expect(try body(.generate)["prompt"] as? String == "You are brief.\n\nName a colour.")
        configuration.systemPrompt = nil
        #expect((try body(.chat)["messages"] as? [[String: String]])?.count == 1)
    }

    @Test(
        "bad lines fail with their line number and what is wrong",
        arguments: [
            ("{\"id\":\"a\",\"prompt\":\"x\"}\n{oops\n", "line 2", "invalid JSON"),
            ("{\"id\":\"a\"}\n", "line 1", "\"prompt\""),
            ("\n\n{\"prompt\":\"x\"}\n", "line 3", "missing \"id\""),
            ("{\"id\":\"a\",\"prompt\":\"x\",\"max_tokens\":0}\n", "line 1", "max_tokens"),
            ("{\"id\":\"a\",\"prompt\":\"x\"}\n{\"id\":\"a\",\"prompt\":\"y\"}\n", "line 2", "duplicate"),
            ("{\"id\":\"a\",\"prompt\":5}\n", "line 1", "wrong type"),
            ("{\"id\":\"a\",\"prompt\":\"\"}\n", "line 1", "empty"),
        ])
    func badLines(text: String, line: String, what: String) {
        do {
            _ = try Corpus.parse(jsonl: Data(text.utf8), name: "c.jsonl")
            Issue.record("accepted a bad corpus")
        } catch {
            #expect(error.message.contains("c.jsonl \(line):"), "\(error.message)")
            #expect(error.message.contains(what), "\(error.message)")
            #expect(error.code == .corpus)
        }
    }

    @Test("an empty corpus and a missing file are clear errors")
    func empty() {
        #expect { try Corpus.parse(jsonl: Data("\n  \n".utf8)) } throws: {
            ($0 as? LoadGenError)?.message.contains("no prompts") == true
        }
        #expect { try Corpus.load(path: "/nonexistent/p.jsonl") } throws: {
            ($0 as? LoadGenError)?.message.contains("cannot read") == true
        }
    }

    @Test("the committed data/prompts.jsonl is exactly what `corpus make` produces")
    func committedCorpus() throws {
        guard TestPaths.hasDefaultModel else {
            Issue.record("the default model is missing; run scripts/bootstrap")
            return
        }
        let out = TestPaths.temporaryDirectory("corpus").appendingPathComponent("prompts.jsonl").path
        let result = try runInferLab(["corpus", "make", "--n", "500", "--seed", "42", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let made = try Data(contentsOf: URL(fileURLWithPath: out))
        let committed = try Data(contentsOf: TestPaths.root.appendingPathComponent("data/prompts.jsonl"))
        #expect(made == committed)
        let corpus = try Corpus.parse(jsonl: committed)
        #expect(corpus.entries.count == 500)
    }
}
