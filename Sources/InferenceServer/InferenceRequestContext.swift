public import Foundation
public import Hummingbird

/// The request context of every route: Hummingbird's basic context, with the server's one JSON
/// encoder for whole bodies as for streamed events.
public struct InferenceRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    public var responseEncoder: JSONEncoder { Reply.encoder }
}
