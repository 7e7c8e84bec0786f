import AsyncHTTPClient
import Foundation
import NIOCore

/// Counts tokens through the server's `POST /tokenize` (llama-server's and InferLab's
/// `{"content"}` -> `{"tokens"}`, vLLM's `{"prompt"}` -> `{"count"}`), without special tokens.
struct RemoteTokenCounter: Sendable {
    let url: String
    let model: String

    /// `baseURL` has no trailing slash (``BenchConfiguration/baseURL``).
    init(baseURL: String, model: String) {
        url = baseURL + "/tokenize"
        self.model = model
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private struct Body: Encodable {
        var content: String
        var prompt: String
        var model: String
        var addSpecial = false
        enum CodingKeys: String, CodingKey {
            case content, prompt, model
            case addSpecial = "add_special"
        }
    }

    private struct Answer: Decodable {
        var tokens: [AnyToken]?
        var count: Int?
    }

    /// A token id or, with `with_pieces`, an object: only the count matters.
    private struct AnyToken: Decodable {
        init(from decoder: any Decoder) throws {}
    }

    func counter(http: HTTPClient) -> TokenCounter {
        let url = self.url
        let model = self.model
        return { text in
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(
                ByteBuffer(bytes: Array(try JSONEncoder().encode(Body(content: text, prompt: text, model: model)))))
            let response = try await http.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 64 << 20)
            guard response.status == .ok else {
                throw Failure(description: "POST \(url) answered \(response.status.code)")
            }
            let answer = try JSONDecoder().decode(Answer.self, from: Data(body.readableBytesView))
            guard let count = answer.count ?? answer.tokens?.count else {
                throw Failure(description: "POST \(url) answered no tokens")
            }
            return count
        }
    }
}
