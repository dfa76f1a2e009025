#include "uniadapter/nn/attention.h"

#include <cmath>

namespace ua {

torch::Tensor split_heads(const torch::Tensor& x, int64_t heads) {
  const int64_t B = x.size(0), L = x.size(1), C = x.size(2);
  return x.view({B, L, heads, C / heads}).permute({0, 2, 1, 3});
}

torch::Tensor merge_heads(const torch::Tensor& x) {
  const int64_t B = x.size(0), H = x.size(1), L = x.size(2), d = x.size(3);
  return x.permute({0, 2, 1, 3}).contiguous().view({B, L, H * d});
}

torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                     const torch::Tensor& mask_add, double dropout, bool training, const torch::Tensor& logit_scale,
                     AttentionScaling scaling) {
  const int64_t B = q.size(0), H = q.size(1), Lq = q.size(2), d = q.size(3), Lk = k.size(2);
  const double norm = std::sqrt(static_cast<double>(d));
  torch::Tensor scores;
  const bool broadcast_kv = k.size(0) == 1 && B > 1;
  if (broadcast_kv) {
    torch::Tensor qh = q.transpose(0, 1).reshape({H, B * Lq, d});
    scores = torch::matmul(qh, k[0].transpose(-1, -2)).view({H, B, Lq, Lk}).transpose(0, 1);
  } else {
    scores = torch::matmul(q, k.transpose(-1, -2));
  }
  if (logit_scale.defined()) scores = scores * logit_scale;
  scores = scaling == AttentionScaling::DivideBySqrt ? scores / norm : scores * (1.0 / norm);
  if (mask_add.defined()) scores = scores + mask_add;
  torch::Tensor probs = torch::softmax(scores, -1, scores.scalar_type() == at::kFloat ? c10::optional<at::ScalarType>() : c10::optional<at::ScalarType>(at::kFloat)).to(v.scalar_type());
  probs = torch::dropout(probs, dropout, training);
  if (broadcast_kv) {
    torch::Tensor ph = probs.transpose(0, 1).reshape({H, B * Lq, Lk});
    return torch::matmul(ph, v[0]).view({H, B, Lq, d}).transpose(0, 1);
  }
  return torch::matmul(probs, v);
}

}  // namespace ua
