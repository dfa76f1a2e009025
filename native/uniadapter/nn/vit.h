// The ViT of BLIP (salesforce/BLIP models/vit.py) with UniAdapter's visual branch: pre-norm blocks,
// the adapter parallel to the MLP and outside DropPath, a final LayerNorm over all tokens.
#pragma once
#include "uniadapter/runtime/config.h"
#include "uniadapter/petl/petl_baselines.h"
#include "uniadapter/runtime/torch_all.h"
#include "uniadapter/petl/uniadapter_module.h"

namespace ua {

struct VitAttentionImpl : torch::nn::Module {
  VitAttentionImpl(int64_t dim, int64_t heads, bool qkv_bias);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Linear qkv{nullptr};
  torch::nn::Linear proj{nullptr};
  Lora lora_q{nullptr};
  Lora lora_v{nullptr};
  Prefix prefix{nullptr};
  int64_t heads;
};
TORCH_MODULE(VitAttention);

struct VitMlpImpl : torch::nn::Module {
  VitMlpImpl(int64_t dim, int64_t hidden);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear fc1{nullptr};
  torch::nn::Linear fc2{nullptr};
};
TORCH_MODULE(VitMlp);

struct VitBlockImpl : torch::nn::Module {
  VitBlockImpl(const VisionConfig& c, double drop_path);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::LayerNorm norm1{nullptr};
  VitAttention attn{nullptr};
  torch::nn::LayerNorm norm2{nullptr};
  VitMlp mlp{nullptr};
  double drop_path;
  UniAdapter adapter{nullptr};                // shared module owned by the task model (not registered here)
  BottleneckAdapter adapter_seq{nullptr};     // Houlsby-style, after the block
  BottleneckAdapter adapter_par{nullptr};     // parallel to the MLP
};
TORCH_MODULE(VitBlock);

struct PatchEmbedImpl : torch::nn::Module {
  PatchEmbedImpl(int64_t in_chans, int64_t width, int64_t patch);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d proj{nullptr};
};
TORCH_MODULE(PatchEmbed);

struct VisionTransformerImpl : torch::nn::Module {
  explicit VisionTransformerImpl(const VisionConfig& c);
  // pixels [N, 3, S, S] -> [N, 1 + P, D] after the final LayerNorm.
  torch::Tensor forward(const torch::Tensor& pixels);

  VisionConfig config;
  torch::Tensor cls_token;
  torch::Tensor pos_embed;
  PatchEmbed patch_embed{nullptr};
  torch::nn::ModuleList blocks{nullptr};  // the only owner of the blocks
  torch::nn::LayerNorm norm{nullptr};

  VitBlockImpl& block(int64_t i) { return *blocks->ptr<VitBlockImpl>(static_cast<size_t>(i)); }
};
TORCH_MODULE(VisionTransformer);

// timm's stochastic depth: per sample, zero the branch with probability p, else scale by 1/(1-p).
torch::Tensor drop_path(const torch::Tensor& x, double p, bool training);

}  // namespace ua
