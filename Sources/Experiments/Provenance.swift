import Foundation
import InferLabCore
import InferenceCore
import SystemSetup

/// Where a run came from: the code, llama.cpp, the model file, the machine.
enum Provenance {
    /// Collects the provenance of a run; every value says what it is, missing ones say why.
    static func collect(repositoryRoot: URL, modelPaths: [String]) -> [String: String] {
        var values: [String: String] = [:]
        values["inferlab_commit"] =
            run("/usr/bin/git", ["-C", repositoryRoot.path, "rev-parse", "HEAD"]) ?? "unknown (not a git checkout)"
        let dirty = run("/usr/bin/git", ["-C", repositoryRoot.path, "status", "--porcelain", "--untracked-files=no"])
        values["inferlab_worktree"] = (dirty?.isEmpty ?? true) ? "clean" : "modified"
        let stamp = repositoryRoot.appendingPathComponent(".deps/llama.cpp/.complete")
        values["llama_cpp"] =
            (try? String(contentsOf: stamp, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            ?? "unknown (no .deps/llama.cpp/.complete)"
        for path in Set(modelPaths) {
            values["model_sha256 \(URL(fileURLWithPath: path).lastPathComponent)"] = sha256(of: path)
        }
        let system = SystemShow.read()
        if let data = try? JSONEncoder().encode(system), let text = String(data: data, encoding: .utf8) {
            values["system_json"] = text
        }
        var name = utsname()
        uname(&name)
        values["kernel"] = withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        for key in ["model name", "flags"] {
            if let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix(key) }),
                let value = line.split(separator: ":", maxSplits: 1).last
            {
                values[key == "flags" ? "cpu_flags" : "cpu_model"] = value.trimmingCharacters(in: .whitespaces)
            }
        }
        values["cpus_online"] = "\(ProcessInfo.processInfo.activeProcessorCount)"
        values["cgroup_version"] =
            FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")
            ? "v2" : (FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cpu") ? "v1" : "none")
        return values
    }

    /// The sha256 of a file: the bootstrap's verified stamp when present, else computed.
    static func sha256(of path: String) -> String {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        if let stamp = try? String(contentsOfFile: resolved + ".sha256", encoding: .utf8) {
            return stamp.trimmingCharacters(in: .whitespacesAndNewlines) + " (verified at download)"
        }
        return run("/usr/bin/sha256sum", [resolved])?.split(separator: " ").first.map(String.init) ?? "unknown"
    }

    static func run(_ executable: String, _ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard let waiter = try? process.start() else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        waiter.wait()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
