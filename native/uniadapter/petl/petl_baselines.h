// The other parameter-efficient methods, for the paper's comparisons: a plain bottleneck adapter
// (Houlsby-style sequential, or parallel to the FFN), LoRA on attention projections, and the learnable
// key/value prefixes of prefix tuning (MAM adapter = prefix tuning + parallel adapter).
#pragma once
#include "uniadapter/runtime/torch_all.h"

namespace ua {

struct BottleneckAdapterImpl : torch::nn::Module {
  BottleneckAdapterImpl(int64_t d, int64_t r, double scale);
  torch::Tensor forward(const torch::Tensor& x);  // delta only: scale * up(relu(down(x)))

  torch::nn::Linear down_proj{nullptr};
  torch::nn::Linear up_proj{nullptr};
  double scale;
};
TORCH_MODULE(BottleneckAdapter);

// delta(x) = (alpha / rank) * B(A(x)); A Kaiming-uniform, B zero, so training starts at the backbone.
struct LoraImpl : torch::nn::Module {
  LoraImpl(int64_t in, int64_t out, int64_t rank, double alpha);
  torch::Tensor forward(const torch::Tensor& x);

  torch::Tensor lora_A;  // [rank, in]
  torch::Tensor lora_B;  // [out, rank]
  double scaling;
};
TORCH_MODULE(Lora);

struct PrefixImpl : torch::nn::Module {
  PrefixImpl(int64_t length, int64_t width);
  // Keys and values [B, H, L, d] with the learned prefix prepended: [B, H, length + L, d].
  std::pair<torch::Tensor, torch::Tensor> prepend(const torch::Tensor& k, const torch::Tensor& v) const;
  torch::Tensor prefix_key;    // [length, width]
  torch::Tensor prefix_value;  // [length, width]
};
TORCH_MODULE(Prefix);

}  // namespace ua
