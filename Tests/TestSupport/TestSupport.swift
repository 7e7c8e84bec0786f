public import Foundation
@_exported import InferLabCore

/// Paths and process helpers shared by the test targets.
public enum TestPaths {
    /// The repository root (found from this file's location).
    public static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// The default model, as the bootstrap links it.
    public static let defaultModel = root.appendingPathComponent("models/smollm2-135m.gguf").resolvingSymlinksInPath()
        .path

    /// Whether the default model is present (the bootstrap ran).
    public static var hasDefaultModel: Bool { FileManager.default.fileExists(atPath: defaultModel) }

    /// llama.cpp's tools built by the bootstrap.
    public static let llamaBin = root.appendingPathComponent(".deps/llama.cpp/bin")

    /// The `inferlab` executable built next to the test bundle.
    public static var inferlab: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("inferlab").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return root.appendingPathComponent(".build/debug/inferlab").path
    }

    /// A fresh temporary directory.
    public static func temporaryDirectory(_ prefix: String = "inferlab-test") -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "\(prefix)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// The result of running a command to completion.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs a program with arguments, waits, and captures its output.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws
    -> CommandResult
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let waiter = try process.start()
    // Read both pipes concurrently so neither fills up and blocks the child.
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    waiter.wait()
    return CommandResult(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs the `inferlab` executable.
public func runInferLab(_ arguments: [String]) throws -> CommandResult {
    try runProcess(TestPaths.inferlab, arguments, environment: ["INFERLAB_ROOT": TestPaths.root.path])
}

extension MonotonicInstant {
    /// The instant `nanoseconds` after the clock's origin: the fake clock of unit tests.
    public static func at(_ nanoseconds: UInt64) -> MonotonicInstant { MonotonicInstant(nanoseconds: nanoseconds) }
}
