#include "uniadapter/tasks/lm_loss.h"

namespace ua {

torch::Tensor lm_loss_per_sequence(const torch::Tensor& logits, const torch::Tensor& labels, double label_smoothing) {
  const int64_t N = logits.size(0), L = logits.size(1), V = logits.size(2);
  torch::Tensor shifted = logits.slice(1, 0, L - 1).contiguous().to(at::kFloat);
  torch::Tensor target = labels.slice(1, 1).contiguous();
  torch::Tensor loss = at::cross_entropy_loss(shifted.view({-1, V}), target.view({-1}), {}, at::Reduction::None, -100, label_smoothing);
  return loss.view({N, -1}).sum(1);
}

torch::Tensor lm_loss_mean(const std::function<torch::Tensor(const torch::Tensor&)>& head, const torch::Tensor& hidden,
                           const torch::Tensor& labels, double label_smoothing) {
  const int64_t L = hidden.size(1), H = hidden.size(2);
  torch::Tensor target = labels.slice(1, 1).reshape({-1});
  torch::Tensor rows = (target != -100).nonzero().squeeze(1);
  torch::Tensor h = hidden.slice(1, 0, L - 1).reshape({-1, H}).index_select(0, rows);
  torch::Tensor logits = head(h).to(at::kFloat);
  return at::cross_entropy_loss(logits, target.index_select(0, rows), {}, at::Reduction::Mean, -100, label_smoothing);
}

torch::Tensor lm_targets(const torch::Tensor& ids, int64_t pad_token_id, int64_t prompt_length) {
  torch::Tensor t = ids.masked_fill(ids == pad_token_id, -100);
  if (prompt_length > 0) t.slice(1, 0, prompt_length).fill_(-100);
  return t;
}

}  // namespace ua
