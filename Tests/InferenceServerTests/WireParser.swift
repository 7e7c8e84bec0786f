import Foundation
import Testing

/// A strict reader of the OpenAI streaming format for tests: every event is `data: <json>` or
/// `data: [DONE]` followed by a blank line; comments start with `:`; nothing after `[DONE]`.
struct StrictSSE {
    var events: [[String: Any]] = []
    var done = false
    var comments = 0

    init(_ body: String) throws {
        let blocks = body.components(separatedBy: "\n\n")
        #expect(blocks.last == "", "the stream must end with a blank line")
        for block in blocks.dropLast() {
            if block.hasPrefix(":") {
                comments += 1
                continue
            }
            #expect(!done, "an event after [DONE]")
            guard block.hasPrefix("data: ") else {
                Issue.record("not an SSE data line: \(block.prefix(80))")
                continue
            }
            let payload = String(block.dropFirst(6))
            if payload == "[DONE]" {
                done = true
                continue
            }
            let object = try JSONSerialization.jsonObject(with: Data(payload.utf8))
            events.append(try #require(object as? [String: Any]))
        }
    }
}

func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}
