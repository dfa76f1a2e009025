// The UniAdapter module of one layer index (RERV/UniAdapter models/adapter.py): input LayerNorm, a
// down-projection shared by the modalities, ReLU, and visual / textual / cross-modal up-projections;
// the cross-modal branch is LayerNorm(up_C(z) + up_T(z)). Returns only the delta (the host block adds
// the residual). Sharing strategies other than the official 'down' exist for the paper's ablations.
#pragma once
#include "uniadapter/runtime/torch_all.h"
#include "uniadapter/runtime/config.h"

namespace ua {

enum class AdapterMode { Visual, Text, Multimodal };

struct UniAdapterImpl : torch::nn::Module {
  UniAdapterImpl(int64_t d_model, int64_t bottleneck, double scale, Share share, bool visual_only = false);

  torch::Tensor forward(const torch::Tensor& x, AdapterMode mode);

  torch::nn::LayerNorm adapter_layer_norm_before{nullptr};
  torch::nn::LayerNorm adapter_layer_norm_cross_modal{nullptr};
  torch::nn::Linear down_proj{nullptr};
  torch::nn::Linear up_proj{nullptr};
  torch::nn::Linear multi_up_proj{nullptr};
  torch::nn::Linear visual_up_proj{nullptr};
  torch::nn::Linear visual_down_proj{nullptr};  // share none / up
  torch::nn::Linear multi_down_proj{nullptr};   // share none / up
  double scale;
  Share share;
};
TORCH_MODULE(UniAdapter);

// Adapter_Lora: the low-rank offsets added to every cross-attention's keys and values
// (config video_key_adapter). No nonlinearity; learnable scalar scale (init 1).
struct KvAdapterImpl : torch::nn::Module {
  KvAdapterImpl(int64_t in_width, int64_t out_width, int64_t bottleneck);
  torch::Tensor forward(const torch::Tensor& e);

  torch::nn::Linear down_proj{nullptr};
  torch::nn::Linear up_proj{nullptr};
  torch::Tensor scale;
};
TORCH_MODULE(KvAdapter);

}  // namespace ua
