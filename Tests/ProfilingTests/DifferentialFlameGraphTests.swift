import Foundation
#if canImport(FoundationXML)
    import FoundationXML
#endif
import Profiling
import TestSupport
import Testing

/// Two profiles compared: shares of each one's own total, the change per function and per stack
/// prefix, and the graph that shows it (hand-made stacks, and two real perf captures).
@Suite struct DifferentialFlameGraphTests {
    /// `work` doubles its share (1 of 4 -> 2 of 4), `gone` vanishes, `io` and `main` stay; the
    /// threads are named differently in the two runs.
    static let before = stacks([["run1", "main", "work"]: 1, ["run1", "main", "io"]: 2, ["run1", "main", "gone"]: 1])
    static let after = stacks([["run2", "main", "work"]: 2, ["run2", "main", "io"]: 2])

    static func stacks(_ counts: [[String]: Int]) -> FoldedStacks {
        var folded = FoldedStacks()
        for (stack, count) in counts { folded.add(stack, count: count) }
        return folded
    }

    @Test func sharesAndChangesByFunction() throws {
        let changes = DifferentialFlameGraph.changes(before: Self.before, after: Self.after)
        #expect(
            changes == [
                .init(function: "gone", beforeShare: 0.25, afterShare: 0, beforeSelfShare: 0.25, afterSelfShare: 0),
                .init(function: "work", beforeShare: 0.25, afterShare: 0.5, beforeSelfShare: 0.25, afterSelfShare: 0.5),
            ], "main and io kept their shares; the thread names are merged away")
        #expect(changes[0].delta == -0.25 && changes[1].delta == 0.25 && changes[1].selfDelta == 0.25)
        #expect(
            DifferentialFlameGraph.changes(before: Self.before, after: Self.after, limit: 1).map(\.function) == ["gone"]
        )

        // Inclusive and self differ for a caller: `main` holds all samples but none of its own.
        var deeper = Self.after
        deeper.add(["run2", "main"], count: 4)
        let main = try #require(
            DifferentialFlameGraph.changes(before: Self.after, after: deeper).first { $0.function == "main" })
        #expect(main.beforeShare == 1 && main.afterShare == 1 && main.delta == 0)
        #expect(main.beforeSelfShare == 0 && main.afterSelfShare == 0.5 && main.selfDelta == 0.5)

        let json = String(decoding: try JSONEncoder().encode(changes[1]), as: UTF8.self)
        for key in ["\"before_share\"", "\"after_self_share\"", "\"self_delta\"", "\"operation\""] {
            #expect(json.contains(key), "\(json)")
        }
        #expect(try JSONDecoder().decode(DifferentialFlameGraph.Change.self, from: Data(json.utf8)) == changes[1])
    }

    @Test func aFrameThatGrewIsRedOneThatShrankIsBlueAndAVanishedOneIsDrawnSizedByBefore() throws {
        let svg = DifferentialFlameGraph.svg(
            before: Self.before, after: Self.after, title: "t", beforeLabel: "quota", afterLabel: "none")
        let frames = try SVGFrames(svg)
        #expect(frames.names == ["all", "main", "io", "work"], "the after profile's frames, no thread")
        #expect(try frames.colour(of: "work").isRed)
        #expect(try frames.colour(of: "io").isGrey && frames.colour(of: "main").isGrey)
        #expect(
            frames.titles.contains(
                "work\nbefore (quota): 25.00 % (1 samples)\nafter (none): 50.00 % (2 samples)\nchange: +25.00 points"))

        let reverse = try SVGFrames(
            DifferentialFlameGraph.svg(
                before: Self.before, after: Self.after, title: "t", beforeLabel: "quota", afterLabel: "none",
                sizedBy: .before))
        #expect(reverse.names == ["all", "main", "gone", "io", "work"])
        #expect(try reverse.colour(of: "gone").isBlue && reverse.colour(of: "work").isRed)

        // Saturation follows the change: 25 points is full at the default (5), a fifth of full at 125.
        let pale = try SVGFrames(
            DifferentialFlameGraph.svg(
                before: Self.before, after: Self.after, title: "t", beforeLabel: "a", afterLabel: "b",
                fullColourAt: 1.25))
        let full = try frames.colour(of: "work")
        let fifth = try pale.colour(of: "work")
        #expect(full == Colour(red: 222, green: 45, blue: 38))
        #expect(fifth == Colour(red: 233, green: 198, blue: 196), "a fifth of the way from grey (236) to red")
    }

    @Test func sharesAreOfEachProfilesOwnTotal() throws {
        var longer = FoldedStacks()
        for (stack, count) in Self.before.counts { longer.add(stack, count: 10 * count) }
        #expect(
            DifferentialFlameGraph.changes(before: longer, after: Self.after)
                == DifferentialFlameGraph.changes(before: Self.before, after: Self.after))
        let scaled = try SVGFrames(
            DifferentialFlameGraph.svg(before: longer, after: Self.after, title: "t", beforeLabel: "a", afterLabel: "b")
        )
        let unscaled = try SVGFrames(
            DifferentialFlameGraph.svg(
                before: Self.before, after: Self.after, title: "t", beforeLabel: "a", afterLabel: "b"))
        #expect(scaled.fills == unscaled.fills)
        #expect(DifferentialFlameGraph.changes(before: Self.after, after: Self.after).isEmpty)
    }

    @Test func threadsMergeByDefaultAndStayApartOnRequest() throws {
        let before = Self.stacks([
            ["llama-worker-1", "compute", "matmul"]: 3, ["llama-worker-2", "compute", "matmul"]: 1,
        ])
        let after = Self.stacks([["llama-worker-5", "compute", "matmul"]: 4, ["llama-worker-5"]: 4])
        let merged = after.mergingThreads()
        #expect(merged.total == after.total)
        #expect(merged.counts == [["compute", "matmul"]: 4, [FoldedStacks.noFrames]: 4])

        let changes = DifferentialFlameGraph.changes(before: before, after: after)
        // All three moved by half the samples; of those, the two whose self share moved come first.
        #expect(changes.map(\.function) == [FoldedStacks.noFrames, "matmul", "compute"])
        #expect(changes.map(\.delta) == [0.5, -0.5, -0.5])
        let apart = DifferentialFlameGraph.changes(before: before, after: after, mergeThreads: false)
        #expect(
            Set(apart.map(\.function)) == ["llama-worker-1", "llama-worker-2", "llama-worker-5", "compute", "matmul"])
        #expect(apart.first { $0.function == "llama-worker-5" }?.delta == 1)

        let svg = try SVGFrames(
            DifferentialFlameGraph.svg(
                before: before, after: after, title: "t", beforeLabel: "a", afterLabel: "b", mergeThreads: false))
        #expect(svg.names.contains("llama-worker-5") && svg.names.contains("compute"))
        #expect(try svg.colour(of: "llama-worker-5").isRed, "a thread the before run did not have")
    }

    @Test func theDocumentIsWellFormedOfflineAndEscapesCppNames() throws {
        // A 3.5 % frame is 42 px wide at 1200 px, labelled with its first 6 characters: the cut falls
        // where an escaped `<` would be cut into `&l` if the label were cut after escaping.
        let before = Self.stacks([
            ["t", "main", "std::vector<int>::operator[] & co"]: 50, ["t", "main", "other"]: 50,
        ])
        let after = Self.stacks([
            ["t", "main", "std::vector<int>::operator[] & co"]: 100, ["t", "main", "abcd<efgh"]: 35,
            ["t", "main", "(anonymous namespace)::tinyBLAS<float>::gemm<4, 2>"]: 864,
            ["t", "main", "bad\u{1}byte"]: 1,
        ])
        let svg = DifferentialFlameGraph.svg(
            before: before, after: after, title: "ctx <512> & <4096>", beforeLabel: "ctx=512 & q<8",
            afterLabel: "ctx=4096")
        let frames = try SVGFrames(svg)
        #expect(frames.names.contains("std::vector<int>::operator[] & co") && frames.names.contains("abcd<efgh"))
        #expect(frames.names.contains("bad?byte"), "a control character XML does not allow is replaced")
        #expect(svg.contains(">abcd&lt;e</text>"))
        #expect(svg.contains("ctx &lt;512&gt; &amp; &lt;4096&gt;: before ctx=512 &amp; q&lt;8 → after ctx=4096"))
        #expect(
            svg.contains(">grew</text>") && svg.contains(">shrank</text>") && svg.contains(">unchanged</text>")
                && svg.contains(
                    ">colour: share in after − share in before, full at ±5 points; widths: after (ctx=4096)<")
        )
        #expect(svg.contains("before (ctx=512 &amp; q&lt;8): 100 samples; after (ctx=4096): 1000 samples"))
        #expect(svg.contains("function search()") && svg.contains("onclick=\"search()\""))
        #expect(svg.components(separatedBy: "http").count == 2, "only the SVG namespace: nothing is fetched")
        _ = try SVGFrames(FlameGraph.svg(after, title: "the plain graph cuts its labels the same way"))
    }

    /// The search script runs in a browser and adds up the matching frames once each (a match
    /// inside another match does not count twice). Skipped without Chromium.
    @Test(.timeLimit(.minutes(2))) func theSearchRunsInChromium() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
            print("SKIPPED theSearchRunsInChromium: chromium is not installed")
            return
        }
        let after = Self.stacks([
            ["t", "main", "alpha"]: 1, ["t", "main", "beta"]: 3, ["t", "main", "beta", "beta"]: 1,
        ])
        let svg = DifferentialFlameGraph.svg(
            before: Self.before, after: after, title: "t", beforeLabel: "a", afterLabel: "b")
        let probe = """
            <script><![CDATA[var out=[];['beta','^alpha$','nothing'].forEach(function(q){\
            window.prompt=function(){return q};search();out.push(document.getElementById('matched').textContent)});\
            document.getElementById('matched').setAttribute('data-probe',out.join('|'));]]></script>
            </svg>
            """
        let directory = TestPaths.temporaryDirectory("diff-flame")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("probed.svg")
        try svg.replacingOccurrences(of: "</svg>", with: probe).write(to: file, atomically: true, encoding: .utf8)
        let dump = try runProcess(
            "/usr/bin/timeout",
            [
                "60", "/usr/bin/chromium", "--headless=new", "--disable-gpu", "--no-sandbox", "--no-first-run",
                "--proxy-server=127.0.0.1:9", "--user-data-dir=\(directory.path)/profile",
                "--virtual-time-budget=2000", "--dump-dom", file.absoluteString,
            ])
        #expect(dump.status == 0, "\(dump.stderr.suffix(1000))")
        #expect(
            dump.stdout.contains("data-probe=\"matched: 80.00 %|matched: 20.00 %|matched: 0.00 %\""),
            "\(dump.stdout.suffix(600))")
    }

    /// Two real captures of one small C program spinning in three functions in two proportions:
    /// alpha 9 : gamma 1 before, alpha 2 : beta 5 : gamma 3 after. The largest change must be alpha
    /// (about -70 points), then beta (about +50).
    @Test(
        .timeLimit(.minutes(2)),
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/perf"), "linux-perf is not installed"),
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/cc"), "no C compiler"))
    func twoRealProfilesShowTheFunctionThatChanged() async throws {
        let directory = TestPaths.temporaryDirectory("diff-flame")
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("spin.c")
        try """
        #include <stdlib.h>
        static volatile unsigned long sink;
        __attribute__((noinline)) void spin_alpha(long n) { for (long i = 0; i < n; i++) sink += i; }
        __attribute__((noinline)) void spin_beta(long n) { for (long i = 0; i < n; i++) sink += 3 * i; }
        __attribute__((noinline)) void spin_gamma(long n) { for (long i = 0; i < n; i++) sink ^= i; }
        int main(int argc, char **argv) {
            long a = atol(argv[1]) * 100000, b = atol(argv[2]) * 100000, g = atol(argv[3]) * 100000;
            for (;;) { spin_alpha(a); spin_beta(b); spin_gamma(g); }
        }
        """.write(to: source, atomically: true, encoding: .utf8)
        let binary = directory.appendingPathComponent("spin").path
        let compiled = try runProcess(
            "/usr/bin/cc", ["-O1", "-fno-omit-frame-pointer", "-fno-inline", "-o", binary, source.path])
        try #require(compiled.status == 0, "\(compiled.stderr)")

        func profile(_ proportions: [String]) async throws -> FoldedStacks {
            let spinning = Process()
            spinning.executableURL = URL(fileURLWithPath: binary)
            spinning.arguments = proportions
            try spinning.run()
            defer {
                // SIGKILL: a child spawned from a concurrency thread has SIGTERM blocked too.
                kill(spinning.processIdentifier, SIGKILL)
                spinning.waitUntilExit()
            }
            let perfFiles = directory.appendingPathComponent(proportions.joined())
            try FileManager.default.createDirectory(at: perfFiles, withIntermediateDirectories: true)
            return try await Profiler.record(
                pid: spinning.processIdentifier, duration: .seconds(1), hertz: 499, directory: perfFiles
            ).folded
        }
        let before = try await profile(["9", "0", "1"])
        let after = try await profile(["2", "5", "3"])
        #expect(before.total >= 50 && after.total >= 50, "a busy CPU at 499 Hz for 1 s (shared cores)")

        let changes = DifferentialFlameGraph.changes(before: before, after: after, limit: 5)
        #expect(changes.first?.function == "spin_alpha", "\(changes)")
        let alpha = try #require(changes.first { $0.function == "spin_alpha" })
        let beta = try #require(changes.first { $0.function == "spin_beta" })
        #expect(alpha.delta < -0.45 && alpha.selfDelta < -0.45, "\(alpha)")
        #expect(beta.beforeShare < 0.02 && beta.delta > 0.3, "\(beta)")

        let frames = try SVGFrames(
            DifferentialFlameGraph.svg(
                before: before, after: after, title: "spin", beforeLabel: "9:0:1", afterLabel: "2:5:3"))
        #expect(try frames.colour(of: "spin_beta").isRed && frames.colour(of: "spin_alpha").isBlue)
    }
}

/// An SVG flame graph, checked to be well-formed XML and read back: each frame's name,
/// fill and width, in document order, and the hover texts.
struct SVGFrames {
    var frames: [(name: String, fill: String, width: Double)] = []
    var titles: [String] = []

    init(_ svg: String) throws {
        // XMLDocument on Linux recovers from errors silently (`<a>x&l</a>` reads as "x"), and
        // XMLParser's parse() returns true on an unclosed tag: its parserError is the check.
        let parser = XMLParser(data: Data(svg.utf8))
        let parsed = parser.parse()
        try #require(
            parsed && parser.parserError == nil,
            "not well-formed XML: \(String(describing: parser.parserError)) at line \(parser.lineNumber)")
        let document = try XMLDocument(xmlString: svg)
        for case let rect as XMLElement in try document.nodes(forXPath: "//*[local-name()='rect'][@data-f]") {
            // Not `attribute(forName:)`: on Linux it finds nothing in a document with a default namespace.
            let value = { (name: String) in rect.attributes?.first { $0.name == name }?.stringValue ?? "" }
            frames.append((value("data-f"), value("fill"), Double(value("width")) ?? 0))
        }
        titles = try document.nodes(forXPath: "//*[local-name()='title']").compactMap(\.stringValue)
    }

    var names: [String] { frames.map(\.name) }
    var fills: [String] { frames.map(\.fill) }

    /// The colour of the widest frame named `name` (a function may be drawn under several callers).
    func colour(of name: String) throws -> Colour {
        let fill = try #require(
            frames.filter { $0.name == name }.max { $0.width < $1.width }?.fill, "no frame \(name)")
        let parts = fill.dropFirst("rgb(".count).dropLast().split(separator: ",").compactMap { Int($0) }
        try #require(fill.hasPrefix("rgb(") && parts.count == 3, "fill \(fill)")
        return Colour(red: parts[0], green: parts[1], blue: parts[2])
    }
}

struct Colour: Equatable {
    var red: Int
    var green: Int
    var blue: Int
    var isRed: Bool { red > green + 60 && red > blue + 60 }
    var isBlue: Bool { blue > red + 60 && blue > green + 60 }
    var isGrey: Bool { red == green && green == blue }
}
