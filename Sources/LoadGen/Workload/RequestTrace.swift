import Foundation

/// A trace of requests to replay on the clock: arrival time, input and output tokens, and an
/// optional session. Read from the public Azure LLM inference trace CSV (`TIMESTAMP`,
/// `ContextTokens`, `GeneratedTokens`) or any CSV with a header naming those columns
/// (`t`/`timestamp`, `input_tokens`/`ContextTokens`, `output_tokens`/`GeneratedTokens`,
/// `session`), or JSONL lines `{"t": seconds, "input_tokens": N, "output_tokens": M,
/// "session": "s1"}`. A bad line fails with its number and the field named.
public struct RequestTrace: Sendable, Equatable {
    public struct Arrival: Sendable, Equatable {
        /// Seconds after the trace's first arrival.
        public var offset: Double
        public var inputTokens: Int
        public var outputTokens: Int
        public var session: String?
        public var line: Int
    }

    /// In arrival order; the first at offset 0.
    public var arrivals: [Arrival]

    /// The trace's span in seconds.
    public var span: Double { arrivals.last?.offset ?? 0 }

    public static func load(path: String) throws(LoadGenError) -> RequestTrace {
        try parse(String(decoding: try Corpus.read(path, "trace"), as: UTF8.self), name: path)
    }

    public static func parse(_ text: String, name: String = "trace") throws(LoadGenError) -> RequestTrace {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }
        guard let firstIndex = lines.firstIndex(where: { !$0.allSatisfy(\.isWhitespace) }) else {
            throw LoadGenError(.corpus, "\(name) is empty; give a CSV with a header or JSONL lines")
        }
        var arrivals: [(time: Double, arrival: Arrival)] =
            lines[firstIndex].trimmingCharacters(in: .whitespaces).hasPrefix("{")
            ? try jsonl(lines, name: name) : try csv(lines, header: firstIndex, name: name)
        guard !arrivals.isEmpty else { throw LoadGenError(.corpus, "\(name) has no requests") }
        arrivals.sort { $0.time < $1.time }
        let start = arrivals[0].time
        return RequestTrace(
            arrivals: arrivals.map {
                var a = $0.arrival
                a.offset = $0.time - start
                return a
            })
    }

    private static let timeNames = ["timestamp", "t", "time", "arrival", "arrival_time", "arrived_at"]
    private static let inputNames = ["contexttokens", "input_tokens", "prompt_tokens", "input_length"]
    private static let outputNames = ["generatedtokens", "output_tokens", "completion_tokens", "output_length"]
    private static let sessionNames = ["session", "session_id", "conversation_id", "conversation"]

    private static func csv(_ lines: [Substring], header: Int, name: String) throws(LoadGenError)
        -> [(time: Double, arrival: Arrival)]
    {
        let names = lines[header].split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        let columns = names.map { $0.lowercased() }
        func column(_ candidates: [String], _ label: String) throws(LoadGenError) -> Int {
            guard let index = columns.firstIndex(where: candidates.contains) else {
                throw LoadGenError(
                    .corpus,
                    "\(name) line \(header + 1): the header has no \(label) column (one of \(candidates.joined(separator: ", ")); got \(names.joined(separator: ", ")))"
                )
            }
            return index
        }
        let time = try column(timeNames, "arrival time")
        let input = try column(inputNames, "input tokens")
        let output = try column(outputNames, "output tokens")
        let session = columns.firstIndex(where: sessionNames.contains)
        var out: [(time: Double, arrival: Arrival)] = []
        for index in (header + 1)..<lines.count {
            let line = lines[index]
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            let number = index + 1
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
            func field(_ i: Int) throws(LoadGenError) -> String {
                guard i < fields.count else {
                    throw LoadGenError(
                        .corpus, "\(name) line \(number): \(fields.count) field(s), the header has \(columns.count)")
                }
                return fields[i]
            }
            let timeText = try field(time)
            guard let seconds = seconds(timeText) else {
                throw LoadGenError(
                    .corpus,
                    "\(name) line \(number): \(names[time]) '\(timeText)' is not a time (seconds, or YYYY-MM-DD HH:MM:SS.fff)"
                )
            }
            let arrival = Arrival(
                offset: 0, inputTokens: try tokens(try field(input), names[input], number, name),
                outputTokens: try tokens(try field(output), names[output], number, name),
                session: try session.map { i throws(LoadGenError) in try field(i) }.flatMap { $0.isEmpty ? nil : $0 },
                line: number)
            out.append((seconds, arrival))
        }
        return out
    }

    private static func tokens(_ text: String, _ column: String, _ line: Int, _ name: String) throws(LoadGenError)
        -> Int
    {
        guard let value = Int(text), value >= 1 else {
            throw LoadGenError(.corpus, "\(name) line \(line): \(column) '\(text)' is not a whole number >= 1")
        }
        return value
    }

    private static func jsonl(_ lines: [Substring], name: String) throws(LoadGenError)
        -> [(time: Double, arrival: Arrival)]
    {
        var out: [(time: Double, arrival: Arrival)] = []
        for (index, line) in lines.enumerated() where !line.allSatisfy(\.isWhitespace) {
            let number = index + 1
            func bad(_ why: String) -> LoadGenError { LoadGenError(.corpus, "\(name) line \(number): \(why)") }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw bad("not a JSON object")
            }
            func field(_ keys: [String], _ label: String) throws(LoadGenError) -> Any {
                guard let key = keys.first(where: { object[$0] != nil }) else {
                    throw bad("missing \"\(keys[0])\" (\(label))")
                }
                return object[key]!
            }
            let timeValue = try field(["t", "timestamp", "arrival_time"], "seconds from the start")
            let time: Double
            if let n = JSONScan.number(timeValue) {
                time = n
            } else if let text = timeValue as? String, let s = seconds(text) {
                time = s
            } else {
                throw bad("\"t\" must be seconds (a number)")
            }
            func count(_ keys: [String], _ label: String) throws(LoadGenError) -> Int {
                let value = try field(keys, label)
                guard let n = JSONScan.whole(value) else { throw bad("\"\(keys[0])\" must be a whole number >= 1") }
                return n
            }
            var session: String?
            if let value = object["session"] ?? object["session_id"] {
                if let text = value as? String {
                    session = text
                } else if let n = JSONScan.whole(value, minimum: Int.min / 2) {
                    session = String(n)
                } else {
                    throw bad("\"session\" must be a string or a number")
                }
            }
            out.append(
                (
                    time,
                    Arrival(
                        offset: 0, inputTokens: try count(["input_tokens", "prompt_tokens"], "prompt length"),
                        outputTokens: try count(["output_tokens", "completion_tokens"], "output length"),
                        session: session, line: number)
                ))
        }
        return out
    }

    /// Seconds from a number or from `YYYY-MM-DD HH:MM:SS[.fraction]` (the Azure trace's form;
    /// only differences matter, so the epoch is arbitrary).
    static func seconds(_ text: String) -> Double? {
        if let value = Double(text), value.isFinite { return value }
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "T" })
        guard parts.count == 2 else { return nil }
        let date = parts[0].split(separator: "-").compactMap { Int($0) }
        var clock = String(parts[1])
        if clock.hasSuffix("Z") { clock.removeLast() }
        let time = clock.split(separator: ":")
        guard date.count == 3, time.count == 3, let hours = Int(time[0]), let minutes = Int(time[1]),
            let secs = Double(time[2]), (1...12).contains(date[1]), (1...31).contains(date[2])
        else { return nil }
        // Days from civil (Howard Hinnant's algorithm).
        let y = date[1] <= 2 ? date[0] - 1 : date[0]
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (date[1] + 9) % 12
        let doy = (153 * mp + 2) / 5 + date[2] - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Double(days) * 86_400 + Double(hours * 3600 + minutes * 60) + secs
    }
}
