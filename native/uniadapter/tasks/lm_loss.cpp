#include "uniadapter/tasks/lm_loss.h"

namespace ua {

torch::Tensor lm_loss(const torch::Tensor& logits, const torch::Tensor& labels, double label_smoothing, LmReduction r) {
  const int64_t N = logits.size(0), L = logits.size(1), V = logits.size(2);
  torch::Tensor shifted = logits.slice(1, 0, L - 1).contiguous().to(at::kFloat);
  torch::Tensor target = labels.slice(1, 1).contiguous();
  const auto reduction = r == LmReduction::Mean ? at::Reduction::Mean : at::Reduction::None;
  torch::Tensor loss = at::cross_entropy_loss(shifted.view({-1, V}), target.view({-1}), {}, reduction, -100, label_smoothing);
  if (r == LmReduction::SumPerSequence) loss = loss.view({N, -1}).sum(1);
  return loss;
}

torch::Tensor lm_targets(const torch::Tensor& ids, int64_t pad_token_id, int64_t prompt_length) {
  torch::Tensor t = ids.masked_fill(ids == pad_token_id, -100);
  if (prompt_length > 0) t.slice(1, 0, prompt_length).fill_(-100);
  return t;
}

}  // namespace ua
