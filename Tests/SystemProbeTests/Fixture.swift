import Foundation
import TestSupport

/// The text of a fixture under Tests/Fixtures/probe.
func fixture(_ path: String) throws -> String {
    try String(contentsOf: TestPaths.root.appendingPathComponent("Tests/Fixtures/probe/\(path)"), encoding: .utf8)
}
