#include "uniadapter/nn/vit.h"

#include "uniadapter/nn/attention.h"
#include "uniadapter/runtime/error.h"
#include "uniadapter/train/grad_checkpoint.h"
#include "uniadapter/nn/layer_norm.h"

namespace ua {

namespace nn = torch::nn;

torch::Tensor drop_path(const torch::Tensor& x, double p, bool training) {
  if (p == 0.0 || !training) return x;
  const double keep = 1.0 - p;
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = x.size(0);
  torch::Tensor mask = (keep + torch::rand(shape, x.options())).floor_();
  return x.div(keep) * mask;
}

VitAttentionImpl::VitAttentionImpl(int64_t dim, int64_t heads_, bool qkv_bias) : heads(heads_) {
  qkv = register_module("qkv", nn::Linear(nn::LinearOptions(dim, dim * 3).bias(qkv_bias)));
  proj = register_module("proj", nn::Linear(dim, dim));
}

torch::Tensor VitAttentionImpl::forward(const torch::Tensor& x) {
  const int64_t B = x.size(0), N = x.size(1), C = x.size(2), hd = C / heads;
  torch::Tensor t = qkv(x);
  if (lora_q) t = t + torch::cat({lora_q(x), torch::zeros_like(x), lora_v(x)}, -1);
  t = t.reshape({B, N, 3, heads, hd}).permute({2, 0, 3, 1, 4});
  torch::Tensor q = t[0], k = t[1], v = t[2];
  if (prefix) std::tie(k, v) = prefix->prepend(k, v);
  // timm's ViT multiplies the logits by 1/sqrt(d) where BERT divides by sqrt(d): kept, bit for bit.
  return proj(merge_heads(attend(q, k, v, torch::Tensor(), 0.0, is_training(), torch::Tensor(), AttentionScaling::MultiplyByInverseSqrt)));
}

VitMlpImpl::VitMlpImpl(int64_t dim, int64_t hidden) {
  fc1 = register_module("fc1", nn::Linear(dim, hidden));
  fc2 = register_module("fc2", nn::Linear(hidden, dim));
}

torch::Tensor VitMlpImpl::forward(const torch::Tensor& x) { return fc2(torch::gelu(fc1(x))); }

VitBlockImpl::VitBlockImpl(const VisionConfig& c, double dp) : drop_path(dp) {
  norm1 = register_module("norm1", nn::LayerNorm(nn::LayerNormOptions({c.width}).eps(c.ln_eps)));
  attn = register_module("attn", VitAttention(c.width, c.heads, c.qkv_bias));
  norm2 = register_module("norm2", nn::LayerNorm(nn::LayerNormOptions({c.width}).eps(c.ln_eps)));
  mlp = register_module("mlp", VitMlp(c.width, c.mlp_hidden));
}

torch::Tensor VitBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor a = x + ua::drop_path(attn(layer_norm(norm1, x)), drop_path, is_training());
  torch::Tensor delta;
  if (adapter) delta = adapter(a, AdapterMode::Visual);
  torch::Tensor m = ua::drop_path(mlp(layer_norm(norm2, a)), drop_path, is_training());
  if (delta.defined()) m = m + delta;
  if (adapter_par) m = m + adapter_par(a);
  torch::Tensor out = a + m;
  if (adapter_seq) out = out + adapter_seq(out);
  return out;
}

PatchEmbedImpl::PatchEmbedImpl(int64_t in_chans, int64_t width, int64_t patch) {
  proj = register_module("proj", nn::Conv2d(nn::Conv2dOptions(in_chans, width, patch).stride(patch)));
}

torch::Tensor PatchEmbedImpl::forward(const torch::Tensor& x) { return proj(x).flatten(2).transpose(1, 2); }

VisionTransformerImpl::VisionTransformerImpl(const VisionConfig& c) : config(c) {
  patch_embed = register_module("patch_embed", PatchEmbed(c.in_chans, c.width, c.patch_size));
  cls_token = register_parameter("cls_token", torch::zeros({1, 1, c.width}));
  pos_embed = register_parameter("pos_embed", torch::zeros({1, c.tokens(), c.width}));
  blocks = register_module("blocks", nn::ModuleList());
  for (int64_t i = 0; i < c.depth; ++i) {
    const double dp = c.depth > 1 ? c.drop_path * static_cast<double>(i) / static_cast<double>(c.depth - 1) : 0.0;
    VitBlock b(c, dp);
    blocks->push_back(b);
  }
  norm = register_module("norm", nn::LayerNorm(nn::LayerNormOptions({c.width}).eps(c.ln_eps)));
}

torch::Tensor VisionTransformerImpl::forward(const torch::Tensor& pixels) {
  check(pixels.dim() == 4 && pixels.size(1) == config.in_chans && pixels.size(2) == config.image_size &&
            pixels.size(3) == config.image_size,
        kErrShape,
        "the ViT was built for images of " + std::to_string(config.image_size) + "x" + std::to_string(config.image_size) +
            " with " + std::to_string(config.in_chans) + " channels; got pixels of shape " +
            c10::str(pixels.sizes()));
  const int64_t B = pixels.size(0);
  torch::Tensor x = patch_embed(pixels);
  x = torch::cat({cls_token.expand({B, -1, -1}).to(x.dtype()), x}, 1);
  x = x + pos_embed.slice(1, 0, x.size(1));
  const int64_t first_ckpt = config.depth - config.grad_ckpt_layers;
  for (int64_t i = 0; i < config.depth; ++i) {
    VitBlockImpl* blk = &block(i);
    if (i >= first_ckpt && is_training() && torch::GradMode::is_enabled())
      x = checkpointed([blk](const torch::Tensor& in) { return blk->forward(in); }, x);
    else
      x = blk->forward(x);
  }
  return layer_norm(norm, x);
}

}  // namespace ua
