import ArgumentParser
import Foundation
import InferLabCore

/// Runs a command body; errors become one `error:` line on stderr and exit code 2 (bad input)
/// or 1 (a failure at run time), never a crash or a stack trace.
func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch let error as any InferLabError {
        FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
        throw ExitCode(error.isUsageError ? 2 : 1)
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(2)
    }
}

/// A bad flag value found by a command itself.
struct UsageError: InferLabError {
    enum Code: String, Sendable, CustomStringConvertible {
        case usage
        var description: String { rawValue }
    }
    var code: Code { .usage }
    var message: String
    var cause: (any Error & Sendable)? { nil }
    var isUsageError: Bool { true }
    init(_ message: String) { self.message = message }
}

/// Prints a JSON-encodable value on stdout, keys sorted, pretty when asked.
func printJSON<T: Encodable>(_ value: T, pretty: Bool = false) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting =
        pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
    FileHandle.standardOutput.write(try encoder.encode(value))
    FileHandle.standardOutput.write(Data("\n".utf8))
}
