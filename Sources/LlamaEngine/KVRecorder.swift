import InferLabCore
import Synchronization

/// The KV cells of one sequence after every decode, as llama.cpp counts them
/// (`llama_memory_seq_pos_min` / `llama_memory_seq_pos_max`), each with the instant it was read.
///
/// `record` runs on the engine thread, the context's one owner, right after each `llama_decode`
/// (`InferenceEngine`'s `afterDecode`); the caller of the generation reads the readings when it
/// is done. Two position reads and a clock read cost well under a microsecond, and the storage is
/// reserved up front, so a decode step allocates nothing for it.
final class KVRecorder: Sendable {
    struct Reading: Sendable, Equatable {
        var time: MonotonicInstant
        var minPosition: Int32
        var maxPosition: Int32

        /// Cells the sequence holds: 0 when it is empty (llama.cpp says -1 for both).
        var cells: Int { maxPosition < 0 ? 0 : Int(maxPosition - minPosition) + 1 }
    }

    /// The sequence watched. `LocalGeneration`'s one request is sequence 0 (`SequenceSlots`
    /// hands out the smallest free id).
    let sequence: Int32
    private let readings: Mutex<[Reading]>

    init(sequence: Int32 = 0, capacity: Int) {
        self.sequence = sequence
        var storage: [Reading] = []
        storage.reserveCapacity(capacity)
        readings = Mutex(storage)
    }

    /// Reads the sequence's positions. On the engine thread only.
    func record(_ context: LlamaContext) {
        let reading = Reading(
            time: .now(), minPosition: context.minPosition(sequence), maxPosition: context.maxPosition(sequence))
        readings.withLock { $0.append(reading) }
    }

    /// Every reading so far, oldest first.
    var all: [Reading] { readings.withLock { $0 } }

    /// The reading in force at `time` in `readings` (oldest first): the last one taken at or
    /// before it, i.e. after the decode whose logits a token sampled at `time` came from.
    static func reading(at time: MonotonicInstant, in readings: [Reading]) -> Reading? {
        var low = 0
        var high = readings.count
        while low < high {
            let middle = (low + high) / 2
            if readings[middle].time <= time { low = middle + 1 } else { high = middle }
        }
        return low > 0 ? readings[low - 1] : nil
    }
}
