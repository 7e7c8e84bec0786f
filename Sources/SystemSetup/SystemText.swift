import Foundation

/// Pure parsers for the kernel text files `inferlab system` reads. No I/O; tested on fixtures.
public enum SystemText {
    /// The selected word and all options of a sysfs choice file such as `always [madvise] never`.
    public static func bracketed(_ text: String) -> (selected: String?, options: [String]) {
        var selected: String?
        var options: [String] = []
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
            if word.hasPrefix("[") && word.hasSuffix("]") && word.count >= 2 {
                let name = String(word.dropFirst().dropLast())
                selected = name
                options.append(name)
            } else {
                options.append(String(word))
            }
        }
        // A fixture (or an old kernel) may hold the bare word that was written.
        if selected == nil, options.count == 1 { selected = options[0] }
        return (selected, options)
    }

    /// The CPUs of a kernel CPU list such as `0-3,8,10-11`; empty for malformed text.
    public static func cpuList(_ text: String) -> [Int] {
        var cpus: [Int] = []
        for part in text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",") {
            let bounds = part.split(separator: "-", maxSplits: 1)
            if bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds[1]), low <= high {
                cpus.append(contentsOf: low...high)
            } else if bounds.count == 1, let single = Int(bounds[0]) {
                cpus.append(single)
            } else {
                return []
            }
        }
        return cpus
    }

    /// `/proc/meminfo` as bytes by field name (`MemFree`, `Cached`, ...); values given in kB are multiplied out.
    public static func meminfo(_ text: String) -> [String: UInt64] {
        var fields: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon])
            let words = line[line.index(after: colon)...].split(separator: " ")
            guard let first = words.first, let number = UInt64(first) else { continue }
            fields[name] = words.count > 1 && words[1] == "kB" ? number * 1024 : number
        }
        return fields
    }

    /// The active swap areas of `/proc/swaps` (sizes there are in KiB).
    public static func swaps(_ text: String) -> [SwapDevice] {
        text.split(separator: "\n").dropFirst().compactMap { line in
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 5, let size = UInt64(words[2]), let used = UInt64(words[3]),
                let priority = Int(words[4])
            else { return nil }
            return SwapDevice(
                path: unescapeOctal(String(words[0])), type: String(words[1]), sizeBytes: size * 1024,
                usedBytes: used * 1024, priority: priority)
        }
    }

    /// One line of `/proc/mounts`.
    public struct Mount: Sendable, Equatable {
        /// The mounted device or pseudo file system name.
        public var device: String
        /// Where it is mounted.
        public var mountPoint: String
        /// The file system type (`cgroup`, `cgroup2`, `ext4`, ...).
        public var type: String
        /// The mount options, split on commas.
        public var options: [String]
    }

    /// The mounts of `/proc/mounts` (octal escapes such as `\040` undone).
    public static func mounts(_ text: String) -> [Mount] {
        text.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ")
            guard words.count >= 4 else { return nil }
            return Mount(
                device: unescapeOctal(String(words[0])), mountPoint: unescapeOctal(String(words[1])),
                type: String(words[2]), options: words[3].split(separator: ",").map(String.init))
        }
    }

    /// The lines of `/proc/self/cgroup` (`id:controllers:path`); v2 is id 0 with no controllers.
    public static func processCgroups(_ text: String) -> [CgroupMembership] {
        text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let id = Int(parts[0]) else { return nil }
            let controllers = parts[1].split(separator: ",").map(String.init)
            return CgroupMembership(hierarchy: id, controllers: controllers, path: String(parts[2]))
        }
    }

    /// The soft and hard values of one row of `/proc/self/limits` (for example `Max locked memory`).
    public static func limit(_ name: String, in text: String) -> (soft: MemlockLimit, hard: MemlockLimit)? {
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let words = line.dropFirst(name.count).split(separator: " ")
            guard words.count >= 2, let soft = MemlockLimit(limitText: String(words[0])),
                let hard = MemlockLimit(limitText: String(words[1]))
            else { return nil }
            return (soft, hard)
        }
        return nil
    }

    /// The `KEY=value` pairs of `/etc/os-release`, quotes removed.
    public static func osRelease(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "="), !line.hasPrefix("#") else { continue }
            var value = String(line[line.index(after: equals)...])
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            fields[String(line[..<equals])] = value
        }
        return fields
    }

    /// The hexadecimal capability mask of one `/proc/<pid>/status` field (`CapEff`, `CapPrm`, ...).
    public static func capabilityMask(_ field: String, inStatus text: String) -> UInt64? {
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return UInt64(line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces), radix: 16)
        }
        return nil
    }

    /// Undoes the `\ooo` octal escapes the kernel uses for spaces and tabs in paths.
    static func unescapeOctal(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "\\"), index + 3 < utf8.count,
                let value = UInt8(String(decoding: utf8[(index + 1)...(index + 3)], as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
