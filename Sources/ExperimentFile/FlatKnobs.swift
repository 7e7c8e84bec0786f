import InferLabCore
import Yams

/// A flat configuration block (`engine:`, `workload:`, `constraints:`) as the keys and value texts
/// it is written with, and decoded again with some of them replaced: how a matrix or variant
/// setting applies to any knob of a block, through the block's own decoder and its checks.
public enum FlatKnobs {
    /// The block's knobs in the order it writes them, each as its text, numbers as a file writes
    /// them (`30`, `0.8`, not YAML's `3e+1`); a knob that is not set has no text.
    public static func of(_ block: some Encodable) throws -> [(key: String, text: String)] {
        try pairs(block).map { ($0.key, Setting.normalized($0.value.string ?? "")) }
    }

    /// The block's knobs as a lookup table.
    public static func table(_ block: some Encodable) throws -> [String: String] {
        Dictionary(try of(block).map { ($0.key, $0.text) }, uniquingKeysWith: { $1 })
    }

    /// `block` decoded again with `overrides` (key, text) applied over its knobs.
    public static func applying<Block: Codable>(_ overrides: [(key: String, text: String)], to block: Block) throws
        -> Block
    {
        var pairs = try pairs(block)
        for (key, text) in overrides {
            if let index = pairs.firstIndex(where: { $0.key == key }) {
                pairs[index].value = Node(text)
            } else {
                pairs.append((key, Node(text)))
            }
        }
        let mapping = Node.Mapping(pairs.map { (Node($0.key), $0.value) })
        return try YAMLDecoder().decode(Block.self, from: Node.mapping(mapping))
    }

    private static func pairs(_ block: some Encodable) throws -> [(key: String, value: Node)] {
        guard let mapping = try Yams.compose(yaml: YAMLEncoder().encode(block))?.mapping else { return [] }
        return mapping.compactMap { pair in pair.key.string.map { ($0, pair.value) } }
    }
}
