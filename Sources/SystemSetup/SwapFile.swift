import Foundation
import InferLabCore

#if canImport(Glibc)
    import Glibc
#endif

/// Creates, enables, disables and removes a swap file with `mkswap`, `swapon` and `swapoff`. Live root only.
enum SwapFile {
    /// The path of a system tool, or nil when it is not installed.
    static func tool(_ name: String) -> String? {
        ["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Why swap cannot be managed here, or nil when the tools exist.
    static func unavailableReason() -> String? {
        let missing = ["mkswap", "swapon", "swapoff"].filter { tool($0) == nil }
        return missing.isEmpty ? nil : "not available: \(missing.joined(separator: ", ")) not installed (util-linux)"
    }

    /// Whether `path` is an active swap area in `/proc/swaps`.
    static func isActive(_ path: String, files: SystemFiles) -> Bool {
        let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        return SystemText.swaps(files.read(SystemShow.Path.swaps) ?? "").contains { $0.path == path || $0.path == real }
    }

    /// Creates a file of `bytes` (mode 0600), then `mkswap` and `swapon`. The space is preallocated with
    /// `fallocate` where the file system allows swap on such files (ext4, XFS); when that fails the file is
    /// written with zeros instead (swapon refuses sparse files). On failure everything created is removed again.
    static func create(path: String, bytes: UInt64) throws {
        do {
            try create(path: path, bytes: bytes, preallocate: true)
        } catch {
            try create(path: path, bytes: bytes, preallocate: false)
        }
    }

    private static func create(path: String, bytes: UInt64, preallocate: Bool) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw SystemSetupError(.swapFailed, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        var isOpen = true
        do {
            if preallocate {
                let status = posix_fallocate(fd, 0, off_t(bytes))
                if status != 0 {
                    throw SystemSetupError(
                        .swapFailed, "fallocate \(path) failed: \(String(cString: strerror(status)))")
                }
            } else {
                try writeZeros(fd: fd, bytes: bytes, path: path)
            }
            close(fd)
            isOpen = false
            try run("mkswap", [path])
            try run("swapon", [path])
        } catch {
            if isOpen { close(fd) }
            unlink(path)
            throw error
        }
    }

    private static func writeZeros(fd: Int32, bytes: UInt64, path: String) throws {
        let chunk = [UInt8](repeating: 0, count: 1 << 20)
        var left = bytes
        while left > 0 {
            let count = Int(min(UInt64(chunk.count), left))
            let written = chunk.withUnsafeBufferPointer { write(fd, $0.baseAddress, count) }
            guard written == count else {
                throw SystemSetupError(.swapFailed, "writing \(path) failed: \(String(cString: strerror(errno)))")
            }
            left -= UInt64(count)
        }
        if fsync(fd) != 0 {
            throw SystemSetupError(.swapFailed, "fsync \(path) failed: \(String(cString: strerror(errno)))")
        }
    }

    /// `swapoff` when active, then deletes the file. Returns what was done, or throws when it stays.
    static func remove(path: String, files: SystemFiles) throws -> [String] {
        var done: [String] = []
        if isActive(path, files: files) {
            try run("swapoff", [path])
            done.append("swapoff")
        }
        if FileManager.default.fileExists(atPath: path) {
            guard unlink(path) == 0 else {
                throw SystemSetupError(.swapFailed, "cannot delete \(path): \(String(cString: strerror(errno)))")
            }
            done.append("deleted")
        }
        return done
    }

    /// Runs a util-linux tool and throws with its output when it fails.
    static func run(_ name: String, _ arguments: [String]) throws {
        guard let executable = tool(name) else {
            throw SystemSetupError(.swapFailed, "\(name) is not installed (util-linux)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let waiter: ProcessWaiter
        do {
            waiter = try process.start()
        } catch {
            throw SystemSetupError(.swapFailed, "cannot run \(executable): \(error)")
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        waiter.wait()
        guard process.terminationStatus == 0 else {
            let detail = text.trimmingCharacters(in: .whitespacesAndNewlines)
            throw SystemSetupError(
                .swapFailed,
                "\(name) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(detail)")
        }
    }
}
