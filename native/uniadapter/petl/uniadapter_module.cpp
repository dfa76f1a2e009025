#include "uniadapter/petl/uniadapter_module.h"

#include "uniadapter/nn/layer_norm.h"

namespace ua {

namespace nn = torch::nn;

UniAdapterImpl::UniAdapterImpl(int64_t d, int64_t r, double scale_, Share share_, bool visual_only)
    : scale(scale_), share(share_) {
  adapter_layer_norm_before = register_module("adapter_layer_norm_before", nn::LayerNorm(nn::LayerNormOptions({d}).eps(1e-5)));
  if (!visual_only)
    adapter_layer_norm_cross_modal =
        register_module("adapter_layer_norm_cross_modal", nn::LayerNorm(nn::LayerNormOptions({d}).eps(1e-5)));
  if (visual_only) {
    // Width-specific visual adapter (e.g. ViT-L next to a 768-wide text transformer).
    down_proj = register_module("down_proj", nn::Linear(d, r));
    visual_up_proj = register_module("visual_up_proj", nn::Linear(r, d));
    return;
  }
  down_proj = register_module("down_proj", nn::Linear(d, r));
  up_proj = register_module("up_proj", nn::Linear(r, d));
  if (share == Share::Down || share == Share::None) {
    multi_up_proj = register_module("multi_up_proj", nn::Linear(r, d));
    visual_up_proj = register_module("visual_up_proj", nn::Linear(r, d));
  }
  if (share == Share::None || share == Share::Up) {
    visual_down_proj = register_module("visual_down_proj", nn::Linear(d, r));
    multi_down_proj = register_module("multi_down_proj", nn::Linear(d, r));
  }
}

torch::Tensor UniAdapterImpl::forward(const torch::Tensor& x, AdapterMode mode) {
  torch::Tensor h = layer_norm(adapter_layer_norm_before, x);
  nn::Linear down = down_proj;
  if (mode == AdapterMode::Visual && visual_down_proj) down = visual_down_proj;
  if (mode == AdapterMode::Multimodal && multi_down_proj) down = multi_down_proj;
  torch::Tensor z = torch::relu(down(h));
  torch::Tensor up;
  switch (mode) {
    case AdapterMode::Text:
      up = up_proj(z);
      break;
    case AdapterMode::Visual:
      up = visual_up_proj ? visual_up_proj(z) : up_proj(z);
      break;
    case AdapterMode::Multimodal:
      if (share == Share::Down) up = layer_norm(adapter_layer_norm_cross_modal, multi_up_proj(z) + up_proj(z));
      else if (share == Share::None) up = layer_norm(adapter_layer_norm_cross_modal, multi_up_proj(z));
      else up = layer_norm(adapter_layer_norm_cross_modal, up_proj(z));
      break;
  }
  return up * scale;
}

KvAdapterImpl::KvAdapterImpl(int64_t in_width, int64_t out_width, int64_t r) {
  down_proj = register_module("down_proj", nn::Linear(in_width, r));
  up_proj = register_module("up_proj", nn::Linear(r, out_width));
  scale = register_parameter("scale", torch::ones({1}));
}

torch::Tensor KvAdapterImpl::forward(const torch::Tensor& e) { return up_proj(down_proj(e)) * scale; }

}  // namespace ua
