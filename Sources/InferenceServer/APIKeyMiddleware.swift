import HTTPTypes
import Hummingbird

/// Requires `Authorization: Bearer <key>` on the routes it is added to (`/v1/*` and `/generate`);
/// anything else is a 401 in OpenAI's shape. `/health` and `/metrics` stay open for probes and
/// scrapers.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let authorization = request.headers[.authorization]
        guard authorization == "Bearer \(key)" else {
            throw APIError(
                .unauthorized,
                authorization == nil ? "missing API key: send Authorization: Bearer <key>" : "incorrect API key",
                type: "invalid_request_error", code: "invalid_api_key")
        }
        return try await next(request, context)
    }
}
