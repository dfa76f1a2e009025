// The decoder's language-modelling loss as BLIP computes it: logits at positions 0..L-2 against labels
// at 1..L-1, cross-entropy with label smoothing, -100 ignored; 'mean' over tokens or summed per sequence.
#pragma once
#include "uniadapter/runtime/torch_all.h"

namespace ua {

enum class LmReduction { Mean, SumPerSequence };

torch::Tensor lm_loss(const torch::Tensor& logits, const torch::Tensor& labels, double label_smoothing, LmReduction r);

// input ids with [PAD] -> -100 (and the first `prompt_length` positions -> -100).
torch::Tensor lm_targets(const torch::Tensor& ids, int64_t pad_token_id, int64_t prompt_length = 0);

}  // namespace ua
