// Greedy and beam search with the exact semantics of transformers 4.15 `generate` (which BLIP and
// UniAdapter use): lengths count the prompt, min-length forbids EOS, finished greedy rows get PAD,
// beam hypotheses are scored by summed log-probability / length (prompt included, EOS excluded) and
// only candidates ranked within the first num_beams may finish.
#pragma once
#include <functional>

#include "uniadapter/runtime/torch_all.h"

namespace ua {

struct GenerationSettings {
  int64_t max_length = 20;
  int64_t min_length = 0;
  int64_t num_beams = 1;
  int64_t eos_token_id = 102;
  int64_t pad_token_id = 0;
  double length_penalty = 1.0;
  double repetition_penalty = 1.0;
  bool early_stopping = false;
};

// Runs the decoder on the new tokens (all of them at the first call, then the last one) given the
// attention mask over every token so far; returns the logits of the last position [rows, V].
using DecoderStepFn = std::function<torch::Tensor(const torch::Tensor& new_ids, const torch::Tensor& mask)>;
// Reorders the decoder's caches by the given row indices (beam search).
using ReorderFn = std::function<void(const torch::Tensor& rows)>;

struct GenerationOutput {
  torch::Tensor sequences;      // [rows or items, length], prompt included
  torch::Tensor scores;         // beam: [items] score of the returned hypothesis
  torch::Tensor step_logits;    // greedy: [rows, steps, V] raw logits of every step
  torch::Tensor unfinished;     // greedy: [rows, steps] 1 while the row had not produced EOS
};

GenerationOutput greedy_search(const DecoderStepFn& step, const torch::Tensor& input_ids, const GenerationSettings& s,
                               bool capture);

// input_ids: [items * num_beams, L] (each item's prompt repeated num_beams times, consecutively).
GenerationOutput beam_search(const DecoderStepFn& step, const ReorderFn& reorder, const torch::Tensor& input_ids,
                             const GenerationSettings& s);

// transformers 4.15 _prepare_attention_mask_for_generation.
torch::Tensor generation_attention_mask(const torch::Tensor& input_ids, const GenerationSettings& s);

}  // namespace ua
