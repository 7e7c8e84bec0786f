import LoadGen
import Testing

@Suite("SSE parser")
struct SSEParserTests {
    static let stream = Array(
        ": keep-alive\n\ndata: {\"a\":1}\n\nevent: error\ndata: {\"error\":\"x\"}\n\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n"
            .utf8)

    static let expected: [SSEParser.Event] = [
        .init(data: Array("{\"a\":1}".utf8)),
        .init(type: "error", data: Array("{\"error\":\"x\"}".utf8)),
        .init(data: Array("line1\nline2".utf8)),
        .init(data: Array("[DONE]".utf8)),
    ]

    @Test("whole stream in one read")
    func whole() {
        var parser = SSEParser()
        let events = parser.feed(Self.stream)
        #expect(events == Self.expected)
        #expect(events.last?.isDone == true)
        #expect(parser.comments == 1)
        #expect(!parser.hasPartialEvent)
    }

    @Test("every split point, and byte by byte, gives the same events", arguments: [1, 2, 3, 7, 13])
    func fragmented(chunkSize: Int) {
        var parser = SSEParser()
        var events: [SSEParser.Event] = []
        var i = 0
        while i < Self.stream.count {
            events += parser.feed(Self.stream[i..<min(i + chunkSize, Self.stream.count)])
            i += chunkSize
        }
        #expect(events == Self.expected)
    }

    @Test("any two-way split point")
    func twoWaySplits() {
        for cut in 0...Self.stream.count {
            var parser = SSEParser()
            let events = parser.feed(Self.stream[..<cut]) + parser.feed(Self.stream[cut...])
            #expect(events == Self.expected, "cut at \(cut)")
        }
    }

    @Test("CRLF and lone CR line endings, CR and LF split across reads")
    func lineEndings() {
        var parser = SSEParser()
        var events = parser.feed(Array("data: a\r".utf8))
        events += parser.feed(Array("\n\r".utf8))
        events += parser.feed(Array("\ndata: b\r\rdata:c\n\n".utf8))
        #expect(events.map(\.text) == ["a", "b", "c"])
    }

    @Test("BOM, no space after colon, field without colon, unknown fields, id and retry")
    func adversarial() {
        var parser = SSEParser()
        let text = "\u{FEFF}data:x\nfoo: bar\nid: 7\nretry: 10\n\ndata\n\nevent: only-type\n\n"
        let events = parser.feed(Array(text.utf8))
        #expect(events.count == 2)
        #expect(events[0].text == "x")
        #expect(events[0].id == "7")
        #expect(events[1].text == "")  // "data" alone is an empty data line
        #expect(parser.unknownFields == 1)
    }

    @Test("an event cut off at the end is reported as partial, not dispatched")
    func truncated() {
        var parser = SSEParser()
        let events = parser.feed(Array("data: {\"a\":1}\n\ndata: {\"b\"".utf8))
        #expect(events.count == 1)
        #expect(parser.hasPartialEvent)
        var other = SSEParser()
        _ = other.feed(Array("data: x\n".utf8))
        #expect(other.hasPartialEvent)  // data line without the blank line
    }

    @Test("multi-byte UTF-8 split across reads survives")
    func utf8Split() {
        let bytes = Array("data: {\"content\":\"héllo ✓\"}\n\n".utf8)
        var parser = SSEParser()
        var events: [SSEParser.Event] = []
        for b in bytes { events += parser.feed([b]) }
        #expect(events.count == 1)
        #expect(StreamChunk.decode(events[0].data)?.content == "héllo ✓")
    }

    @Test("chunk decoding: chat delta, completions text, usage with timings, error object, role-only delta")
    func chunks() throws {
        let chat = try #require(
            StreamChunk.decode(Array(#"{"choices":[{"delta":{"content":"Hi"},"finish_reason":null}]}"#.utf8)))
        #expect(chat.isContent && chat.content == "Hi")
        let role = try #require(
            StreamChunk.decode(Array(#"{"choices":[{"delta":{"role":"assistant","content":null}}]}"#.utf8)))
        #expect(!role.isContent)
        let text = try #require(
            StreamChunk.decode(Array(#"{"choices":[{"text":" a","finish_reason":"length"}]}"#.utf8)))
        #expect(text.content == " a" && text.finishReason == "length")
        let usage = try #require(
            StreamChunk.decode(
                Array(
                    #"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":9},"timings":{"predicted_n":9,"predicted_per_second":80.5,"cache_n":2}}"#
                        .utf8)))
        #expect(usage.usage?.completionTokens == 9 && usage.usage?.promptTokens == 5)
        #expect(usage.timings?.predictedPerSecond == 80.5 && usage.timings?.cacheN == 2)
        let error = try #require(StreamChunk.decode(Array(#"{"error":{"message":"boom","code":500}}"#.utf8)))
        #expect(error.errorMessage == "boom")
        #expect(StreamChunk.decode(Array("{not json".utf8)) == nil)
        #expect(StreamChunk.decode(Array("[1,2]".utf8)) == nil)
    }
}
