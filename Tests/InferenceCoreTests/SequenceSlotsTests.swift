import InferenceCore
import Testing

@Suite("Sequence slots and the prefix cache, without a model")
struct SequenceSlotsTests {
    /// A 20-token system prompt the requests share.
    let system = Array(Int32(0)..<20)

    func prompt(_ question: Int32...) -> [Int32] { system + question }

    /// A KV stream per sequence, the default layout.
    func streams(_ ids: Int, prefixCache: Bool = true) -> SequenceSlots {
        SequenceSlots(
            sequenceIds: ids, unifiedKV: false, prefixCache: prefixCache, prefixCacheMinTokens: 4,
            contextLength: 1024, sequenceContextLength: 1024 / ids)
    }

    /// One unified KV cache with the prefix cache on: twice the ids of `sequences` (as
    /// `EngineConfiguration.sequenceIds`), and a sequence may use the whole context.
    func unified(sequences: Int, contextLength: Int = 1000) -> SequenceSlots {
        SequenceSlots(
            sequenceIds: 2 * sequences, unifiedKV: true, prefixCache: true, prefixCacheMinTokens: 4,
            contextLength: contextLength, sequenceContextLength: contextLength)
    }

    // MARK: Ids

    @Test func idsAreTakenSmallestFirstAndAFreedIdIsReused() {
        var slots = streams(4, prefixCache: false)
        let first = (0..<3).map { _ in slots.assign(prompt: prompt(1), maxTokens: 8, running: []) }
        #expect(first.map(\.sequence) == [0, 1, 2])
        #expect(first.allSatisfy { $0.cachedTokens == 0 && $0.actions.isEmpty })
        #expect(slots.release(1) == [.remove(1)])
        #expect(slots.finish(0, tokens: prompt(1, 2, 3)) == [.remove(0)], "no prefix cache: the cells are freed")
        #expect(slots.freeSequenceIds == [0, 1, 3])
        let next = (0..<3).map { _ in slots.assign(prompt: prompt(1), maxTokens: 8, running: []).sequence }
        #expect(next == [0, 1, 3], "freed ids come back smallest first, so running ids stay consecutive")
        #expect(slots.freeSequenceIds.isEmpty)
    }

    @Test func anEmptyStreamIsTakenBeforeAnIdleOne() {
        var slots = streams(3)
        _ = slots.assign(prompt: prompt(1), maxTokens: 8, running: [])
        #expect(slots.finish(0, tokens: prompt(1, 2)) == [], "the idle stream keeps its cells")
        let next = slots.assign(prompt: [90, 91, 92, 93, 94], maxTokens: 8, running: [])
        #expect(next == .init(sequence: 1, cachedTokens: 0, actions: [.remove(1)]))
        #expect(slots.cachedPrefixes == 1)
        #expect(slots.freeSequenceIds == [0, 2])
    }

    // MARK: Eviction

    @Test func theLeastRecentlyUsedIdleStreamIsClearedFirst() {
        var slots = streams(2)
        _ = slots.assign(prompt: prompt(1), maxTokens: 8, running: [])
        _ = slots.assign(prompt: [50, 51, 52, 53, 54], maxTokens: 8, running: [])
        _ = slots.finish(0, tokens: prompt(1, 2))
        _ = slots.finish(1, tokens: [50, 51, 52, 53, 54, 55])
        #expect(slots.cachedPrefixes == 2)
        #expect(slots.assign(prompt: [90, 90, 90, 90, 90], maxTokens: 8, running: []).actions == [.remove(0)])
        #expect(slots.assign(prompt: [91, 91, 91, 91, 91], maxTokens: 8, running: []).actions == [.remove(1)])
        #expect(slots.cachedPrefixes == 0)
    }

    @Test func aHitMakesAUnifiedEntryTheMostRecentlyUsed() {
        var slots = unified(sequences: 2)
        _ = slots.assign(prompt: prompt(1), maxTokens: 8, running: [])
        _ = slots.finish(0, tokens: prompt(1, 2))
        _ = slots.assign(prompt: [50, 51, 52, 53, 54], maxTokens: 8, running: [])
        _ = slots.finish(1, tokens: [50, 51, 52, 53, 54, 55])
        // Entry 0 is older, but a hit uses it.
        let hit = slots.assign(prompt: prompt(7), maxTokens: 8, running: [])
        #expect(hit == .init(sequence: 2, cachedTokens: 20, actions: [.copy(from: 0, to: 2, length: 20)]))
        #expect(slots.makeRoom(for: 1000) == .remove(1))
        #expect(slots.makeRoom(for: 1000) == .remove(0))
        #expect(slots.makeRoom(for: 1000) == nil, "nothing left to evict")
    }

    // MARK: Prefix hits

    @Test func aPrefixHitOnAnIdleStreamIsTakenInPlaceAndTruncated() {
        var slots = streams(2)
        _ = slots.assign(prompt: prompt(1), maxTokens: 8, running: [])
        _ = slots.finish(0, tokens: prompt(1, 5, 6))
        let hit = slots.assign(prompt: prompt(2, 3), maxTokens: 8, running: [])
        #expect(hit == .init(sequence: 0, cachedTokens: 20, actions: [.truncate(0, from: 20)]))
        #expect(slots.cachedPrefixes == 0, "the stream is running again, no longer an entry")
        #expect(slots.freeSequenceIds == [1])
    }

    @Test func aPrefixOfARunningStreamIsCopiedAndTheCopyTruncatedAtTheSharedLength() {
        var slots = streams(3)
        let first = slots.assign(prompt: prompt(1, 2), maxTokens: 8, running: [])
        // The first sequence has prefilled its prompt and generated two tokens.
        let running = [(sequence: first.sequence, tokens: prompt(1, 2, 7, 8))]
        let copy = slots.assign(prompt: prompt(3, 4), maxTokens: 8, running: running)
        #expect(copy == .init(sequence: 1, cachedTokens: 20, actions: [.remove(1), .copy(from: 0, to: 1, length: 20)]))
    }

    @Test func aLongerRunningPrefixBeatsAnIdleOneAndATieGoesToTheIdleStream() {
        var slots = streams(4)
        _ = slots.assign(prompt: prompt(1), maxTokens: 8, running: [])
        var running = [(sequence: Int32(0), tokens: prompt(1))]
        let short = Array(system.prefix(10)) + [99, 99]
        #expect(
            slots.assign(prompt: short, maxTokens: 8, running: running).actions == [
                .remove(1), .copy(from: 0, to: 1, length: 10),
            ])
        _ = slots.finish(1, tokens: short + [5])  // an idle stream sharing 10 tokens
        running[0].tokens = prompt(1, 2)  // shares 20 tokens
        let longer = slots.assign(prompt: prompt(3), maxTokens: 8, running: running)
        #expect(
            longer == .init(sequence: 2, cachedTokens: 20, actions: [.remove(2), .copy(from: 0, to: 2, length: 20)]))
        #expect(slots.cachedPrefixes == 1, "the idle stream stays an entry")

        _ = slots.finish(2, tokens: prompt(3, 4))  // an idle stream sharing 20 tokens
        let tie = slots.assign(prompt: prompt(5), maxTokens: 8, running: running)
        #expect(tie == .init(sequence: 2, cachedTokens: 20, actions: [.truncate(2, from: 20)]))
    }

    @Test func prefixesShorterThanTheMinimumAreNotReused() {
        var slots = streams(3)
        let running = [(sequence: Int32(0), tokens: [Int32]([1, 2, 3, 4, 5]))]
        _ = slots.assign(prompt: running[0].tokens, maxTokens: 8, running: [])
        let other: [Int32] = [1, 2, 3, 9, 9]
        #expect(slots.assign(prompt: other, maxTokens: 8, running: running).actions == [.remove(1)])
        _ = slots.finish(1, tokens: other)
        let miss = slots.assign(prompt: [1, 2, 3, 7, 7], maxTokens: 8, running: running)
        #expect(miss == .init(sequence: 2, cachedTokens: 0, actions: [.remove(2)]), "3 shared tokens, 4 needed")
    }

    /// Keep at least one prompt token to evaluate: its logits give the first token.
    @Test func aFullyCachedPromptLeavesOneTokenToEvaluate() {
        let question = prompt(1)
        var idle = streams(2)
        _ = idle.assign(prompt: question, maxTokens: 8, running: [])
        _ = idle.finish(0, tokens: question + [7, 8])
        #expect(
            idle.assign(prompt: question, maxTokens: 8, running: [])
                == .init(sequence: 0, cachedTokens: 20, actions: [.truncate(0, from: 20)]))

        var busy = streams(2)
        _ = busy.assign(prompt: question, maxTokens: 8, running: [])
        #expect(
            busy.assign(prompt: question, maxTokens: 8, running: [(sequence: 0, tokens: question)])
                == .init(sequence: 1, cachedTokens: 20, actions: [.remove(1), .copy(from: 0, to: 1, length: 20)]))

        var shared = unified(sequences: 1)
        _ = shared.assign(prompt: question, maxTokens: 8, running: [])
        _ = shared.finish(0, tokens: question)
        #expect(
            shared.assign(prompt: question, maxTokens: 8, running: [])
                == .init(sequence: 1, cachedTokens: 20, actions: [.copy(from: 0, to: 1, length: 20)]))
    }

    // MARK: Endings

    @Test func cancellingMidPrefillGivesTheIdBackAndKeepsNoEntry() {
        var slots = streams(2)
        let cancelled = slots.assign(prompt: prompt(1, 2, 3), maxTokens: 8, running: [])
        #expect(slots.release(cancelled.sequence) == [.remove(0)])
        #expect(slots.cachedPrefixes == 0)
        #expect(slots.freeSequenceIds == [0, 1])
        #expect(slots.cellsUsed(running: []) == 0)
        let again = slots.assign(prompt: prompt(1, 2, 3), maxTokens: 8, running: [])
        #expect(again == .init(sequence: 0, cachedTokens: 0, actions: [.remove(0)]), "no hit on the partial prompt")

        var shared = unified(sequences: 1)
        _ = shared.assign(prompt: prompt(1, 2, 3), maxTokens: 8, running: [])
        #expect(shared.reservedCells == 31)
        #expect(shared.release(0) == [.remove(0)])
        #expect(shared.reservedCells == 0 && shared.cachedPrefixes == 0)
    }

    @Test func shortSequencesStayAsIdleStreamsButAreFreedInAUnifiedCache() {
        var idle = streams(2)
        _ = idle.assign(prompt: [1, 2], maxTokens: 1, running: [])
        #expect(idle.finish(0, tokens: [1, 2]) == [])
        #expect(idle.cachedPrefixes == 1)

        var shared = unified(sequences: 1)
        _ = shared.assign(prompt: [1, 2], maxTokens: 1, running: [])
        #expect(shared.finish(0, tokens: [1, 2]) == [.remove(0)], "under the 4-token minimum")
        #expect(shared.cachedPrefixes == 0 && shared.freeSequenceIds == [0, 1])
    }

    // MARK: A unified cache

    @Test func unifiedEntriesReserveCellsAndAreEvictedToMakeRoom() {
        var slots = unified(sequences: 1, contextLength: 100)
        #expect(slots.reservation(promptTokens: 21, maxTokens: 30) == 51)
        #expect(slots.reservation(promptTokens: 90, maxTokens: 30) == 100, "at most a sequence's share")
        #expect(streams(2).reservation(promptTokens: 21, maxTokens: 30) == 0, "a stream per sequence reserves none")

        let first = slots.assign(prompt: prompt(1), maxTokens: 30, running: [])
        #expect(first == .init(sequence: 0, cachedTokens: 0, actions: []))
        #expect(slots.reservedCells == 51 && slots.freeCells == 49)
        #expect(slots.finish(0, tokens: prompt(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)) == [], "kept as an entry")
        #expect(slots.cachedPrefixes == 1 && slots.reservedCells == 30)
        #expect(slots.freeSequenceIds == [1], "the entry holds its id")

        #expect(slots.makeRoom(for: 70) == nil, "70 cells fit beside the entry")
        #expect(slots.makeRoom(for: 71) == .remove(0))
        #expect(slots.cachedPrefixes == 0 && slots.reservedCells == 0 && slots.freeSequenceIds == [0, 1])
        #expect(slots.makeRoom(for: 101) == nil, "nothing left to evict")
    }

    @Test func aUnifiedCacheWithNoFreeIdEvictsTheLeastRecentEntry() {
        var slots = unified(sequences: 1)
        _ = slots.assign(prompt: prompt(1), maxTokens: 8, running: [])
        _ = slots.finish(0, tokens: prompt(1, 2))
        #expect(slots.assign(prompt: [50, 51, 52, 53, 54], maxTokens: 8, running: []).sequence == 1)
        _ = slots.finish(1, tokens: [50, 51, 52, 53, 54, 55])
        #expect(slots.freeSequenceIds.isEmpty)
        let next = slots.assign(prompt: [90, 91, 92, 93, 94], maxTokens: 8, running: [])
        #expect(next == .init(sequence: 0, cachedTokens: 0, actions: [.remove(0)]))
        #expect(slots.cachedPrefixes == 1)
    }

    @Test func aUnifiedEntryIsReplacedByALongerOneThatCoversIt() {
        var slots = unified(sequences: 2)
        _ = slots.assign(prompt: prompt(1), maxTokens: 8, running: [])
        _ = slots.finish(0, tokens: prompt(1))
        let longer = slots.assign(prompt: prompt(1, 2, 3), maxTokens: 8, running: [])
        #expect(longer == .init(sequence: 1, cachedTokens: 21, actions: [.copy(from: 0, to: 1, length: 21)]))
        #expect(slots.finish(1, tokens: prompt(1, 2, 3, 4)) == [.remove(0)])
        #expect(slots.cachedPrefixes == 1 && slots.freeSequenceIds == [0, 2, 3])
    }

    // MARK: Snapshot numbers

    @Test func cachedTokensAreSharedCellsOnlyInAUnifiedCache() {
        var idle = streams(3)
        _ = idle.assign(prompt: prompt(1), maxTokens: 8, running: [])
        let copy = idle.assign(prompt: prompt(2), maxTokens: 8, running: [(sequence: 0, tokens: prompt(1))])
        #expect(copy.cachedTokens == 20)
        _ = idle.finish(0, tokens: prompt(1, 5))  // an idle stream of 22 cells
        // The copy, grown to 25 tokens, holds all 25 in its own stream.
        #expect(idle.cellsUsed(running: [(tokens: 25, cachedTokens: 20)]) == 25 + 22)
        #expect(idle.cachedPrefixes == 1)

        var shared = unified(sequences: 1)
        _ = shared.assign(prompt: prompt(1), maxTokens: 8, running: [])
        _ = shared.finish(0, tokens: prompt(1, 5))
        #expect(shared.assign(prompt: prompt(2), maxTokens: 8, running: []).cachedTokens == 20)
        // Its 20 cached tokens are the entry's cells, counted once.
        #expect(shared.cellsUsed(running: [(tokens: 25, cachedTokens: 20)]) == 5 + 22)
        #expect(shared.cachedPrefixes == 1)
    }
}

@Suite("The host-memory session cache, without a model")
struct HostCacheSlotsTests {
    let system = Array(Int32(0)..<20)

    func oneStream(hostBytes: Int = 1 << 20) -> SequenceSlots {
        SequenceSlots(
            sequenceIds: 1, unifiedKV: false, prefixCache: true, prefixCacheMinTokens: 4, contextLength: 1024,
            sequenceContextLength: 1024, hostCacheBytes: hostBytes)
    }

    @Test func aStreamTakenForASharedPrefixIsSavedAndItsSessionRestoredLater() {
        var slots = oneStream()
        let first = system + [100, 101]
        let answer: [Int32] = [200, 201, 202]
        #expect(slots.assign(prompt: first, maxTokens: 8, running: []).actions == [.remove(0)])
        #expect(slots.finish(0, tokens: first + answer) == [])
        // Another session shares the system prompt: the stream is taken in place, saved first.
        let other = slots.assign(prompt: system + [300], maxTokens: 8, running: [])
        #expect(other == .init(sequence: 0, cachedTokens: 20, actions: [.save(0, entry: 1), .truncate(0, from: 20)]))
        #expect(slots.hostSaved(entry: 1, bytes: 1000) == [])
        #expect(slots.finish(0, tokens: system + [300, 301]) == [])
        // The first session returns with its history: restored from host memory (the other
        // session's stream saved in turn).
        let back = slots.assign(prompt: first + answer + [400], maxTokens: 8, running: [])
        #expect(back.cachedTokens == 25)
        #expect(back.actions == [.save(0, entry: 2), .remove(0), .restore(entry: 1, to: 0), .truncate(0, from: 25)])
        #expect(slots.hostCachedPrefixes == 2)
    }
}
