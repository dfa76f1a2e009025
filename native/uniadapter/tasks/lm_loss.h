// The decoder's language-modelling loss as BLIP computes it: logits at positions 0..L-2 against labels
// at 1..L-1, cross-entropy with label smoothing, -100 ignored. Both reductions take the decoder's hidden
// states and apply its vocabulary head only at positions that have a target, so padding and prompt
// positions cost no vocabulary matmul or softmax.
#pragma once
#include "uniadapter/nn/med.h"
#include "uniadapter/runtime/torch_all.h"

namespace ua {

// Averaged over all target tokens (captioning, pretraining).
torch::Tensor lm_loss_mean(BertLMHeadModelImpl& decoder, const torch::Tensor& hidden, const torch::Tensor& labels, double label_smoothing);

// Summed over each sequence's target tokens: [N] (VQA's answer losses and rank scores).
torch::Tensor lm_loss_per_sequence(BertLMHeadModelImpl& decoder, const torch::Tensor& hidden, const torch::Tensor& labels,
                                   double label_smoothing);

// input ids with [PAD] -> -100 (and the first `prompt_length` positions -> -100).
torch::Tensor lm_targets(const torch::Tensor& ids, int64_t pad_token_id, int64_t prompt_length = 0);

}  // namespace ua
