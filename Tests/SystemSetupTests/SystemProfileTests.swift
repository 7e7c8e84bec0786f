import Foundation
import Testing
import TestSupport

@testable import SystemSetup

@Suite struct SystemProfileTests {
    @Test func builtInProfilesAreValid() throws {
        try SystemProfile.bounded.validate()
        try SystemProfile.paging.validate()
        #expect(try SystemProfile.named("bounded") == .bounded)
        #expect(try SystemProfile.named("paging").swapFileMB == 2048)
        #expect(SystemProfile.bounded.swapFileMB == nil)
    }

    @Test func unknownNameIsAUsageError() throws {
        let error = try #require(throws: SystemSetupError.self) { try SystemProfile.named("fast") }
        #expect(error.code == .unknownProfile)
        #expect(error.isUsageError)
        #expect(error.message.contains("bounded, paging"))
    }

    @Test func profileFileDecodesWithDefaults() throws {
        let file = TestPaths.temporaryDirectory().appendingPathComponent("mine.json")
        try Data(#"{"name": "mine", "swappiness": 10, "memlock": 1073741824, "swap_file_mb": 64}"#.utf8).write(to: file)
        let profile = try SystemProfile.named(file.path)
        #expect(profile.name == "mine")
        #expect(profile.swappiness == 10)
        #expect(profile.memlock == .bytes(1 << 30))
        #expect(profile.swapFilePath == SystemProfile.defaultSwapFilePath)
        #expect(profile.dropPageCache == false)
        #expect(profile.governor == nil)
    }

    /// A `.yaml` profile (what spec validation lets `system: {profile: ...}` name) reads as JSON does,
    /// with the same checks: an unknown field is named.
    @Test func yamlProfileFileDecodesAsJSONDoes() throws {
        let directory = TestPaths.temporaryDirectory()
        let file = directory.appendingPathComponent("mine.yaml")
        try Data("name: mine\nswappiness: 10\nmemlock: 1073741824\ntransparent_hugepages: never\n".utf8).write(to: file)
        let profile = try SystemProfile.named(file.path)
        #expect(profile.name == "mine" && profile.swappiness == 10 && profile.transparentHugepages == "never")
        #expect(profile.memlock == .bytes(1 << 30))
        let bad = directory.appendingPathComponent("bad.yml")
        try Data("name: x\nswapiness: 10\n".utf8).write(to: bad)
        let error = try #require(throws: SystemSetupError.self) { try SystemProfile.named(bad.path) }
        #expect(error.message.contains("unknown field swapiness"))
        let list = directory.appendingPathComponent("list.yaml")
        try Data("- a\n- b\n".utf8).write(to: list)
        let notMapping = try #require(throws: SystemSetupError.self) { try SystemProfile.named(list.path) }
        #expect(notMapping.message.contains("must hold one mapping"))
    }

    @Test(arguments: [
        (#"{"swappiness": 300}"#, "swappiness"),
        (#"{"transparent_hugepages": "sometimes"}"#, "transparent_hugepages"),
        (#"{"swap_file_mb": 0}"#, "swap_file_mb"),
        (#"{"swap_file_path": "relative.swap", "swap_file_mb": 1}"#, "swap_file_path"),
        (#"{"memlock": "lots"}"#, "memlock"),
        (#"{"swapiness": 10}"#, "swapiness"),
        (#"{"boost": "off"}"#, "boost"),
        ("name: yaml", "not valid JSON"),
        ("[1]", "one JSON object"),
    ])
    func badProfileFileNamesTheProblem(text: String, expected: String) throws {
        let file = TestPaths.temporaryDirectory().appendingPathComponent("bad.json")
        try Data(text.utf8).write(to: file)
        let error = try #require(throws: SystemSetupError.self) { try SystemProfile.named(file.path) }
        #expect(error.code == .invalidProfile)
        #expect(error.message.contains(expected), "\(error.message)")
    }

    @Test func unreadableProfileFile() throws {
        let error = try #require(throws: SystemSetupError.self) { try SystemProfile.named("/nonexistent/profile.json") }
        #expect(error.code == .invalidProfile)
        #expect(error.message.contains("cannot read"))
    }
}
