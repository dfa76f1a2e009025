// Scaled dot-product attention as the official BERT code computes it (matmul, /sqrt(d), + additive
// mask, fp32 softmax, dropout, matmul), with a broadcast path for keys/values of batch 1 shared by many
// queries (one image re-ranked against many texts) that never copies the keys and values.
#pragma once
#include "uniadapter/runtime/torch_all.h"

namespace ua {

// How the logits are scaled: BERT divides by sqrt(d), timm's ViT multiplies by 1/sqrt(d) (the two
// differ in the last bit).
enum class AttentionScaling { DivideBySqrt, MultiplyByInverseSqrt };

// q [B,H,Lq,d]; k, v [B or 1, H, Lk, d]; mask_add broadcastable to [B,H,Lq,Lk] or undefined;
// logit_scale broadcastable to [B,1,1,Lk] (multiplies the raw logits, e.g. PFA) or undefined.
// The attention of both the ViT and the MED/BERT layers.
torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                     const torch::Tensor& mask_add, double dropout, bool training,
                     const torch::Tensor& logit_scale = torch::Tensor(),
                     AttentionScaling scaling = AttentionScaling::DivideBySqrt);

// [B, L, H*d] <-> [B, H, L, d]
torch::Tensor split_heads(const torch::Tensor& x, int64_t heads);
torch::Tensor merge_heads(const torch::Tensor& x);

}  // namespace ua
