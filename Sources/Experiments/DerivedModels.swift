import ExperimentFile
import Foundation
import InferLabCore
import InferenceCore

/// Model files of a trial: catalogue models, and quantizations derived from them once with
/// `llama-quantize --allow-requantize` and cached next to them (`<name>-<QUANT>.gguf`).
/// Derived files are requantized from an already quantized model, and labelled as derived.
enum DerivedModels {
    static func path(model: String, quantization: Quantization) throws -> String {
        let source = try ModelCatalog.resolve(model)
        guard quantization != .original else { return source }
        let base = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
        let target = ModelCatalog.cacheDirectory.appendingPathComponent(
            "models/\(base)-\(quantization.rawValue)-derived.gguf")
        if FileManager.default.fileExists(atPath: target.path) { return target.path }
        let catalog = try ModelCatalog.locate()
        let quantize = catalog.root.appendingPathComponent(".deps/llama.cpp/bin/llama-quantize")
        let partial = target.path + ".partial"
        let process = Process()
        process.executableURL = quantize
        process.arguments = ["--allow-requantize", source, partial, quantization.rawValue]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.runToCompletion()
        guard process.terminationStatus == 0 else {
            try? FileManager.default.removeItem(atPath: partial)
            throw TrialError(
                "llama-quantize could not make \(quantization.rawValue) from \(source) (exit \(process.terminationStatus))"
            )
        }
        try FileManager.default.moveItem(atPath: partial, toPath: target.path)
        return target.path
    }
}
