import InferenceCore
import LlamaEngine
import Testing
import TestSupport

@Suite("Tokenizer and chat template", .enabled(if: TestPaths.hasDefaultModel, "run scripts/bootstrap first"))
struct TokenizerTests {
    @Test(arguments: [
        "Hello, world!",
        "Crème brûlée à la française, naïve café",
        "日本語のテキストと中文",
        "Emoji: 🦙🚀👩‍💻 done",
        "  leading spaces and\ttabs\nnewlines",
    ])
    func roundTrip(_ text: String) throws {
        let model = try SharedModel.require()
        let tokens = try model.tokenize(text, addSpecial: false, parseSpecial: false)
        #expect(!tokens.isEmpty)
        #expect(model.detokenize(tokens) == text)
    }

    @Test func incrementalDecodingNeverSplitsCharacters() throws {
        let model = try SharedModel.require()
        let text = "🦙 日本 é 👩‍💻"
        let tokens = try model.tokenize(text, addSpecial: false, parseSpecial: false)
        var decoder = TokenTextDecoder()
        var pieces: [String] = []
        for token in tokens { pieces.append(decoder.append(model.pieceBytes(token))) }
        pieces.append(decoder.flush())
        #expect(pieces.joined() == text)
        #expect(!pieces.joined().contains("\u{FFFD}"))
        // The engine's path: the same bytes from a stack buffer.
        var streamed = TokenTextDecoder()
        var viaStack = ""
        for token in tokens {
            #expect(model.withPieceBytes(token) { Array($0) } == model.pieceBytes(token))
            viaStack += model.withPieceBytes(token) { streamed.append($0) }
        }
        #expect(viaStack + streamed.flush() == text)
    }

    @Test func chatTemplateWrapsMessages() throws {
        let model = try SharedModel.require()
        let text = try model.applyChatTemplate([
            ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Hi there"),
        ])
        // SmolLM2's template is ChatML.
        #expect(text.contains("<|im_start|>system\nBe brief.<|im_end|>"))
        #expect(text.contains("<|im_start|>user\nHi there<|im_end|>"))
        #expect(text.hasSuffix("<|im_start|>assistant\n"))
        let tokens = try model.tokenize(text)
        let plain = try model.tokenize(text, parseSpecial: false)
        #expect(tokens.count < plain.count, "control tokens are parsed as single tokens")
    }

    @Test func metadataDescribesTheModel() throws {
        let model = try SharedModel.require()
        let meta = model.metadata
        #expect(meta.architecture == "llama")
        #expect(meta.quantization.contains("Q4_1"))
        #expect(meta.fileBytes == 98_362_432)
        #expect(meta.parameters > 100_000_000 && meta.parameters < 200_000_000)
        #expect(meta.trainedContextLength >= 2048)
        #expect(meta.chatTemplate != nil)
    }

    @Test func missingAndNonGGUFFilesAreClearErrors() throws {
        #expect(throws: EngineError.self) { try LlamaModel(path: "/nonexistent/model.gguf") }
        let directory = TestPaths.temporaryDirectory()
        let fake = directory.appendingPathComponent("fake.gguf")
        try "not a model".write(to: fake, atomically: true, encoding: .utf8)
        do {
            _ = try LlamaModel(path: fake.path)
            Issue.record("a text file loaded as a model")
        } catch {
            #expect(error.code == .notGGUF)
        }
    }
}
