public import Foundation

/// Where InferLab keeps a user's files.
public enum UserDirectories {
    /// `$HOME` when set (a user whose passwd home does not exist, such as `nobody`, or a service
    /// given one), else the passwd entry's home directory.
    public static var home: URL {
        if let home = ProcessInfo.processInfo.environment["HOME"], home.hasPrefix("/") {
            return URL(fileURLWithPath: home, isDirectory: true)
        }
        return FileManager.default.homeDirectoryForCurrentUser
    }

    /// `$INFERLAB_CACHE`, else `~/.cache/inferlab`: models, the llama.cpp build, downloads.
    public static var cache: URL {
        if let custom = ProcessInfo.processInfo.environment["INFERLAB_CACHE"], !custom.isEmpty {
            return URL(fileURLWithPath: custom)
        }
        return home.appendingPathComponent(".cache/inferlab")
    }
}
