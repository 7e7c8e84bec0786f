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
