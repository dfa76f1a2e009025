#include "uniadapter/nn/layer_norm.h"

namespace ua {

torch::Tensor layer_norm(torch::nn::LayerNorm& m, const torch::Tensor& x) {
  const auto& w = m->weight;
  if (!w.defined() || x.scalar_type() == w.scalar_type()) return m->forward(x);
  return torch::layer_norm(x.to(at::kFloat), m->options.normalized_shape(), w.to(at::kFloat),
                           m->bias.defined() ? m->bias.to(at::kFloat) : torch::Tensor(), m->options.eps());
}

}  // namespace ua
