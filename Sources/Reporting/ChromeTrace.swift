public import Analysis
public import Foundation
public import InferLabCore
import InferenceCore

/// A run as Chrome trace-event JSON (the format Perfetto's UI and chrome://tracing open): per
/// trial a process whose threads are the engine's steps and one lane per request (its phases
/// as complete events, the split of its time in the arguments), and counter tracks of the OS
/// counters the explanation used.
public enum ChromeTrace {
    /// One trial's part of the trace.
    public struct Trial: Sendable {
        public var index: Int
        public var label: String
        /// Time zero of the trace for this trial (its start).
        public var origin: MonotonicInstant
        public var explainer: Explainer

        public init(index: Int, label: String, origin: MonotonicInstant, explainer: Explainer) {
            self.index = index
            self.label = label
            self.origin = origin
            self.explainer = explainer
        }
    }

    /// One trace event (`ph`: M metadata, X complete, C counter).
    struct Event: Encodable {
        var name: String
        var ph: String
        var ts: Double
        var dur: Double?
        var pid: Int
        var tid: Int
        var cat: String?
        var args: [String: Value]?
    }

    enum Value: Encodable {
        case number(Double)
        case text(String)

        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .number(let value): try c.encode(value)
            case .text(let value): try c.encode(value)
            }
        }
    }

    struct Document: Encodable {
        var traceEvents: [Event]
        var displayTimeUnit = "ms"
    }

    /// The engine steps' thread; request lanes start at `firstRequestLane`.
    static let stepsLane = 1
    static let firstRequestLane = 10

    /// The trace of `trials`, as JSON.
    public static func json(_ trials: [Trial]) throws -> Data {
        var events: [Event] = []
        for trial in trials { events += self.events(trial) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(Document(traceEvents: events))
    }

    static func events(_ trial: Trial) -> [Event] {
        let pid = trial.index + 1  // pid 0 is not shown by every viewer
        func ts(_ instant: MonotonicInstant) -> Double { ((instant - trial.origin).milliseconds * 1000).rounded() }
        func metadata(_ kind: String, tid: Int, _ name: String) -> Event {
            Event(name: kind, ph: "M", ts: 0, pid: pid, tid: tid, args: ["name": .text(name)])
        }
        var events = [
            metadata("process_name", tid: 0, "trial \(trial.index): \(trial.label)"),
            metadata("thread_name", tid: stepsLane, "engine steps"),
        ]
        for step in trial.explainer.steps {
            events.append(
                Event(
                    name: "step \(step.index)", ph: "X", ts: ts(step.start), dur: step.duration.milliseconds * 1000,
                    pid: pid, tid: stepsLane, cat: "step",
                    args: [
                        "decode_tokens": .number(Double(step.decodeTokens)),
                        "prompt_tokens": .number(Double(step.promptTokens)),
                        "requests": .text(
                            step.requests.map { $0.decode > 0 ? $0.id : "\($0.id)+\($0.prompt)" }.joined(separator: " ")
                        ),
                    ]))
        }
        for (offset, request) in trial.explainer.requests.enumerated() {
            let tid = firstRequestLane + offset
            events.append(metadata("thread_name", tid: tid, "request \(request.id)"))
            let explanation = trial.explainer.explain(request)
            var args: [String: Value] = ["sentence": .text(explanation.sentence)]
            for (component, value) in explanation.components.ordered {
                args[component.rawValue + "_ms"] = .number((value * 1000).rounded() / 1000)
            }
            events.append(
                Event(
                    name: request.id, ph: "X", ts: ts(request.scheduled),
                    dur: (request.lastEvent - request.scheduled).milliseconds * 1000, pid: pid, tid: tid,
                    cat: "request", args: args))
            for phase in phases(of: request) where phase.end > phase.start {
                events.append(
                    Event(
                        name: phase.name, ph: "X", ts: ts(phase.start),
                        dur: (phase.end - phase.start).milliseconds * 1000, pid: pid, tid: tid, cat: "phase"))
            }
        }
        let os = trial.explainer.os
        let tracks: [(String, OSCounters.Series, Double)] = [
            ("cfs throttled (ms/s)", os.throttledMicroseconds, 1e-3),
            ("run-queue wait (ms/s)", os.runqueueWaitNanoseconds, 1e-6),
            ("major faults (/s)", os.majorFaults, 1),
            ("I/O pressure (ms/s)", os.ioPressureMicroseconds, 1e-3),
        ]
        for (name, series, scale) in tracks where series.count >= 2 {
            for (previous, current) in zip(series, series.dropFirst()) {
                let seconds = (current.time - previous.time).seconds
                guard seconds > 0 else { continue }
                let rate = max(0, current.value - previous.value) * scale / seconds
                events.append(
                    Event(
                        name: name, ph: "C", ts: ts(previous.time), pid: pid, tid: 0, cat: "os",
                        args: ["value": .number((rate * 1000).rounded() / 1000)]))
            }
        }
        return events
    }

    /// A request's phases in order: client lag, network, queue, prefill, decode, the last events.
    static func phases(of request: RequestLife) -> [(name: String, start: MonotonicInstant, end: MonotonicInstant)] {
        var phases = [(name: "client lag", start: request.scheduled, end: request.sent)]
        if let server = request.server {
            phases += [
                ("network in", request.sent, server.arrival), ("queue", server.arrival, server.admitted),
                ("prefill", server.admitted, server.firstToken), ("decode", server.firstToken, server.lastToken),
                ("network out", server.lastToken, request.lastEvent),
            ]
        } else if let first = request.contentEvents.first {
            phases += [("until first token", request.sent, first), ("streaming", first, request.lastEvent)]
        }
        return phases
    }
}
