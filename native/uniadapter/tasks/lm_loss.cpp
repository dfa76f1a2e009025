#include "uniadapter/tasks/lm_loss.h"

namespace ua {

namespace {

// The positions (flattened over [N, L-1]) whose next token is a target, the head's fp32 logits there,
// and those targets.
struct TargetLogits {
  torch::Tensor rows, logits, targets;
};

TargetLogits target_logits(BertLMHeadModelImpl& decoder, const torch::Tensor& hidden, const torch::Tensor& labels) {
  const int64_t L = hidden.size(1), H = hidden.size(2);
  torch::Tensor target = labels.slice(1, 1).reshape({-1});
  torch::Tensor rows = (target != -100).nonzero().squeeze(1);
  torch::Tensor h = hidden.slice(1, 0, L - 1).reshape({-1, H}).index_select(0, rows);
  return {rows, decoder.logits(h).to(at::kFloat), target.index_select(0, rows)};
}

}  // namespace

torch::Tensor lm_loss_mean(BertLMHeadModelImpl& decoder, const torch::Tensor& hidden, const torch::Tensor& labels, double label_smoothing) {
  TargetLogits t = target_logits(decoder, hidden, labels);
  return at::cross_entropy_loss(t.logits, t.targets, {}, at::Reduction::Mean, -100, label_smoothing);
}

torch::Tensor lm_loss_per_sequence(BertLMHeadModelImpl& decoder, const torch::Tensor& hidden, const torch::Tensor& labels,
                                   double label_smoothing) {
  TargetLogits t = target_logits(decoder, hidden, labels);
  torch::Tensor per_token = at::cross_entropy_loss(t.logits, t.targets, {}, at::Reduction::None, -100, label_smoothing);
  torch::Tensor sequence = t.rows.div(hidden.size(1) - 1, "floor");
  return torch::zeros({hidden.size(0)}, per_token.options()).index_add(0, sequence, per_token);
}

torch::Tensor lm_targets(const torch::Tensor& ids, int64_t pad_token_id, int64_t prompt_length) {
  torch::Tensor t = ids.masked_fill(ids == pad_token_id, -100);
  if (prompt_length > 0) t.slice(1, 0, prompt_length).fill_(-100);
  return t;
}

}  // namespace ua
