#include "uniadapter/petl/petl_baselines.h"

#include <cmath>

namespace ua {

namespace nn = torch::nn;

BottleneckAdapterImpl::BottleneckAdapterImpl(int64_t d, int64_t r, double scale_) : scale(scale_) {
  down_proj = register_module("down_proj", nn::Linear(d, r));
  up_proj = register_module("up_proj", nn::Linear(r, d));
}

torch::Tensor BottleneckAdapterImpl::forward(const torch::Tensor& x) {
  return up_proj(torch::relu(down_proj(x))) * scale;
}

LoraImpl::LoraImpl(int64_t in, int64_t out, int64_t rank, double alpha) : scaling(alpha / static_cast<double>(rank)) {
  lora_A = register_parameter("lora_A", torch::empty({rank, in}));
  lora_B = register_parameter("lora_B", torch::zeros({out, rank}));
  torch::NoGradGuard g;
  nn::init::kaiming_uniform_(lora_A, std::sqrt(5.0));
}

torch::Tensor LoraImpl::forward(const torch::Tensor& x) {
  return torch::matmul(torch::matmul(x, lora_A.t()), lora_B.t()) * scaling;
}

PrefixImpl::PrefixImpl(int64_t length, int64_t width) {
  prefix_key = register_parameter("prefix_key", torch::randn({length, width}) * 0.02);
  prefix_value = register_parameter("prefix_value", torch::randn({length, width}) * 0.02);
}

std::pair<torch::Tensor, torch::Tensor> PrefixImpl::prepend(const torch::Tensor& k, const torch::Tensor& v) const {
  const int64_t B = k.size(0), H = k.size(1), d = k.size(3), P = prefix_key.size(0);
  auto pk = prefix_key.view({1, P, H, d}).permute({0, 2, 1, 3}).expand({B, H, P, d}).to(k.dtype());
  auto pv = prefix_value.view({1, P, H, d}).permute({0, 2, 1, 3}).expand({B, H, P, d}).to(v.dtype());
  return {torch::cat({pk, k}, 2), torch::cat({pv, v}, 2)};
}

}  // namespace ua
