// The decoder's language-modelling loss as BLIP computes it: logits at positions 0..L-2 against labels
// at 1..L-1, cross-entropy with label smoothing, -100 ignored.
#pragma once
#include <functional>

#include "uniadapter/runtime/torch_all.h"

namespace ua {

// Summed over each sequence's tokens: [N] (VQA's answer losses and rank scores).
torch::Tensor lm_loss_per_sequence(const torch::Tensor& logits, const torch::Tensor& labels, double label_smoothing);

// Averaged over all target tokens, from the decoder's hidden states: `head` (the vocabulary projection)
// runs only at positions that have a target, so padding and prompt positions cost no vocabulary matmul.
torch::Tensor lm_loss_mean(const std::function<torch::Tensor(const torch::Tensor&)>& head, const torch::Tensor& hidden,
                           const torch::Tensor& labels, double label_smoothing);

// input ids with [PAD] -> -100 (and the first `prompt_length` positions -> -100).
torch::Tensor lm_targets(const torch::Tensor& ids, int64_t pad_token_id, int64_t prompt_length = 0);

}  // namespace ua
