import InferenceCore
import CLlama

/// A llama.cpp sampler chain built from `SamplingParameters`. Owned by the engine thread.
final class Sampler {
    private let chain: UnsafeMutablePointer<llama_sampler>
    /// Plain greedy: an arg-max over the logits, skipping the chain's candidate array.
    private let argmaxOnly: Bool
    private let vocabularySize: Int

    init(_ parameters: SamplingParameters, vocabularySize: Int) {
        chain = llama_sampler_chain_init(llama_sampler_chain_default_params())
        argmaxOnly = parameters.isGreedy && parameters.repetitionPenalty == 1
        self.vocabularySize = vocabularySize
        if parameters.repetitionPenalty != 1 {
            llama_sampler_chain_add(
                chain,
                llama_sampler_init_penalties(Int32(vocabularySize), 64, Float(parameters.repetitionPenalty), 0, 0))
        }
        if parameters.isGreedy {
            llama_sampler_chain_add(chain, llama_sampler_init_greedy())
            return
        }
        if parameters.topK > 0 { llama_sampler_chain_add(chain, llama_sampler_init_top_k(Int32(parameters.topK))) }
        if parameters.topP < 1 { llama_sampler_chain_add(chain, llama_sampler_init_top_p(Float(parameters.topP), 1)) }
        if parameters.minP > 0 { llama_sampler_chain_add(chain, llama_sampler_init_min_p(Float(parameters.minP), 1)) }
        llama_sampler_chain_add(chain, llama_sampler_init_temp(Float(parameters.temperature)))
        llama_sampler_chain_add(chain, llama_sampler_init_dist(parameters.seed))
    }

    deinit {
        llama_sampler_free(chain)
    }

    /// Samples from the logits of batch output `index` and records the token in the chain's state.
    func sample(_ context: LlamaContext, outputIndex index: Int32) -> Int32 {
        guard argmaxOnly, let logits = llama_get_logits_ith(context.pointer, index) else {
            return llama_sampler_sample(chain, context.pointer, index)
        }
        // The first maximum, as llama.cpp's greedy sampler picks it.
        var best = 0
        var bestValue = logits[0]
        for token in 1..<vocabularySize where logits[token] > bestValue {
            best = token
            bestValue = logits[token]
        }
        return Int32(best)
    }
}
