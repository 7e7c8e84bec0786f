import Foundation
import TestSupport

/// Fixture trees standing in for `/` (Tests/Fixtures/system/...).
enum SystemFixtures {
    static func path(_ name: String) -> String {
        TestPaths.root.appendingPathComponent("Tests/Fixtures/system/\(name)").path
    }

    /// A writable copy of a fixture tree in a fresh temporary directory.
    static func copy(_ name: String) throws -> String {
        let target = TestPaths.temporaryDirectory("inferlab-system").appendingPathComponent(name)
        try FileManager.default.copyItem(atPath: path(name), toPath: target.path)
        return target.path
    }

    /// A state file path in a fresh temporary directory (not created).
    static func stateFile() -> URL {
        TestPaths.temporaryDirectory("inferlab-state").appendingPathComponent("system-state.json")
    }

    /// The text of a file beneath a root, trimmed.
    static func read(_ root: String, _ path: String) -> String? {
        SystemFilesReader(root: root).read(path)
    }
}

/// Reads fixture files without going through the code under test.
struct SystemFilesReader {
    var root: String
    func read(_ path: String) -> String? {
        (try? String(contentsOfFile: root + path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
