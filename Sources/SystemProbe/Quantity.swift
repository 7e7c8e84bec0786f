/// Parsing of the sizes and durations users type on the command line and in experiment files.
public enum Quantity {
    /// Bytes from "300M", "1.5G", "512K", "1GiB", "4096" (binary multiples, as cgroups use);
    /// `nil` for anything else, including negative or zero-length text.
    public static func bytes(_ text: String) -> UInt64? {
        var body = String(text.trimmingSpaces()).uppercased()
        for suffix in ["IB", "B"] where body.hasSuffix(suffix) && body.count > suffix.count {
            body.removeLast(suffix.count)
            break
        }
        let units: [Character: Double] = ["K": 1024, "M": 1_048_576, "G": 1_073_741_824, "T": 1_099_511_627_776]
        var multiplier = 1.0
        if let last = body.last, let unit = units[last] {
            multiplier = unit
            body.removeLast()
        }
        guard !body.isEmpty, body.allSatisfy({ $0.isNumber || $0 == "." }), let value = Double(body), value >= 0 else {
            return nil
        }
        let bytes = (value * multiplier).rounded()
        guard bytes < 1.8e19 else { return nil }
        return UInt64(bytes)
    }

    /// Seconds from "100ms", "10s", "1.5m", "2h", "250us", "10" (seconds); `nil` otherwise.
    public static func seconds(_ text: String) -> Double? {
        let body = String(text.trimmingSpaces()).lowercased()
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        var number = body
        var scale = 1.0
        for (suffix, factor) in units where body.hasSuffix(suffix) {
            number = String(body.dropLast(suffix.count))
            scale = factor
            break
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isNumber || $0 == "." }), let value = Double(number) else {
            return nil
        }
        return value * scale
    }
}
