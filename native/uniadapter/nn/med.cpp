#include "uniadapter/nn/med.h"

#include "uniadapter/nn/attention.h"
#include "uniadapter/runtime/error.h"
#include "uniadapter/nn/layer_norm.h"

namespace ua {

namespace nn = torch::nn;

torch::Tensor self_attention_mask(const torch::Tensor& mask01, int64_t query_len, bool causal, at::ScalarType dtype) {
  const int64_t B = mask01.size(0), total = mask01.size(1);
  torch::Tensor ext;
  if (causal) {
    const int64_t past = total - query_len;
    torch::Tensor seq = torch::arange(query_len, mask01.options().dtype(at::kLong));
    torch::Tensor causal_mask = (seq.view({1, 1, query_len}).repeat({B, query_len, 1}) <= seq.view({1, query_len, 1}))
                                    .to(mask01.scalar_type());
    if (past > 0)
      causal_mask = torch::cat({torch::ones({B, query_len, past}, causal_mask.options()), causal_mask}, -1);
    ext = causal_mask.unsqueeze(1) * mask01.view({B, 1, 1, total});
  } else {
    ext = mask01.view({B, 1, 1, total});
  }
  ext = ext.to(dtype);
  return (1.0 - ext) * -10000.0;
}

torch::Tensor cross_attention_mask(const torch::Tensor& mask01, at::ScalarType dtype) {
  torch::Tensor ext = mask01.view({mask01.size(0), 1, 1, mask01.size(1)}).to(dtype);
  return (1.0 - ext) * -1e9;
}

BertEmbeddingsImpl::BertEmbeddingsImpl(const TextConfig& c) : dropout(c.hidden_dropout) {
  word_embeddings = register_module("word_embeddings", nn::Embedding(nn::EmbeddingOptions(c.vocab_size, c.hidden).padding_idx(0)));
  position_embeddings = register_module("position_embeddings", nn::Embedding(c.max_position, c.hidden));
  LayerNorm = register_module("LayerNorm", nn::LayerNorm(nn::LayerNormOptions({c.hidden}).eps(c.ln_eps)));
  position_ids = register_buffer("position_ids", torch::arange(c.max_position, at::kLong).unsqueeze(0));
}

torch::Tensor BertEmbeddingsImpl::forward(const torch::Tensor& ids, int64_t past_len) {
  const int64_t L = ids.size(1);
  check(past_len + L <= position_ids.size(1), kErrShape,
        "text of " + std::to_string(past_len + L) + " tokens is longer than the model's " +
            std::to_string(position_ids.size(1)) + " positions");
  torch::Tensor pos = position_ids.slice(1, past_len, past_len + L);
  torch::Tensor e = word_embeddings(ids);
  e = e + position_embeddings(pos);
  e = layer_norm(LayerNorm, e);
  return torch::dropout(e, dropout, is_training());
}

BertSelfAttentionImpl::BertSelfAttentionImpl(const TextConfig& c, bool cross) : heads(c.heads), dropout(c.attn_dropout) {
  const int64_t kv_in = cross ? c.encoder_width : c.hidden;
  query = register_module("query", nn::Linear(c.hidden, c.hidden));
  key = register_module("key", nn::Linear(kv_in, c.hidden));
  value = register_module("value", nn::Linear(kv_in, c.hidden));
}

torch::Tensor BertSelfAttentionImpl::forward_self(const torch::Tensor& x, const torch::Tensor& mask_add, LayerCache* cache) {
  torch::Tensor qx = query(x), kx = key(x), vx = value(x);
  if (lora_q) qx = qx + lora_q(x);
  if (lora_v) vx = vx + lora_v(x);
  torch::Tensor k = split_heads(kx, heads), v = split_heads(vx, heads);
  if (cache) {
    if (cache->self_k.defined()) {
      k = torch::cat({cache->self_k, k}, 2);
      v = torch::cat({cache->self_v, v}, 2);
    }
    cache->self_k = k;
    cache->self_v = v;
  }
  torch::Tensor q = split_heads(qx, heads);
  torch::Tensor mask = mask_add;
  if (prefix) {
    const int64_t P = prefix->prefix_key.size(0);
    std::tie(k, v) = prefix->prepend(k, v);
    if (mask.defined()) {
      auto sizes = mask.sizes().vec();
      sizes.back() = P;
      mask = torch::cat({torch::zeros(sizes, mask.options()), mask}, -1);
    }
  }
  return merge_heads(attend(q, k, v, mask, dropout, is_training()));
}

torch::Tensor BertSelfAttentionImpl::forward_cross(const torch::Tensor& x, const CrossContext& ctx, LayerCache* cache) {
  torch::Tensor k, v;
  if (cache && cache->cross_k.defined()) {
    k = cache->cross_k;
    v = cache->cross_v;
  } else {
    torch::Tensor vx = value(ctx.states);
    if (lora_v) vx = vx + lora_v(ctx.states);
    k = split_heads(key(ctx.states), heads);
    v = split_heads(vx, heads);
    if (ctx.delta_k.defined()) {
      k = k + split_heads(ctx.delta_k, heads);
      v = v + split_heads(ctx.delta_v, heads);
    }
    if (cache) {
      cache->cross_k = k;
      cache->cross_v = v;
    }
  }
  torch::Tensor qx = query(x);
  if (lora_q) qx = qx + lora_q(x);
  torch::Tensor q = split_heads(qx, heads);
  torch::Tensor logit_scale;
  if (ctx.pfa_weights.defined()) {
    // Frame-aware attention (code form): the keys of each frame's patch tokens are multiplied by the
    // frame weight; each frame's CLS key is left as it is; values are untouched.
    const int64_t B = k.size(0), H = k.size(1), Le = k.size(2), d = k.size(3), T = ctx.pfa_weights.size(1);
    check(Le % T == 0, kErrShape, "frame-aware attention: encoder length is not a multiple of the frame count");
    torch::Tensor w = ctx.pfa_weights.to(k.dtype()).view({-1, 1, T, 1, 1});
    if (B == q.size(0)) {
      torch::Tensor k5 = k.reshape({B, H, T, Le / T, d});
      k = torch::cat({k5.slice(3, 0, 1), k5.slice(3, 1) * w}, 3).reshape({B, H, Le, d});
    } else {
      // Shared keys (batch 1) against many pairs: scale the logits instead (same product).
      torch::Tensor per_token = torch::cat({torch::ones({w.size(0), 1, T, 1, 1}, w.options()),
                                            w.expand({w.size(0), 1, T, Le / T - 1, 1})},
                                           3);
      logit_scale = per_token.reshape({w.size(0), 1, 1, Le});
    }
  }
  return merge_heads(attend(q, k, v, ctx.mask_add, dropout, is_training(), logit_scale));
}

BertSelfOutputImpl::BertSelfOutputImpl(const TextConfig& c) : dropout(c.hidden_dropout) {
  dense = register_module("dense", nn::Linear(c.hidden, c.hidden));
  LayerNorm = register_module("LayerNorm", nn::LayerNorm(nn::LayerNormOptions({c.hidden}).eps(c.ln_eps)));
}

torch::Tensor BertSelfOutputImpl::forward(const torch::Tensor& h, const torch::Tensor& input) {
  return layer_norm(LayerNorm, torch::dropout(dense(h), dropout, is_training()) + input);
}

BertAttentionImpl::BertAttentionImpl(const TextConfig& c, bool cross) {
  self = register_module("self", BertSelfAttention(c, cross));
  output = register_module("output", BertSelfOutput(c));
}

BertIntermediateImpl::BertIntermediateImpl(const TextConfig& c) {
  dense = register_module("dense", nn::Linear(c.hidden, c.intermediate));
}

BertLayerImpl::BertLayerImpl(const TextConfig& c) {
  attention = register_module("attention", BertAttention(c, false));
  crossattention = register_module("crossattention", BertAttention(c, true));
  intermediate = register_module("intermediate", BertIntermediate(c));
  // BertOutput has the same shape as BertSelfOutput but maps intermediate -> hidden.
  output = register_module("output", BertSelfOutput(c));
  output->dense = output->replace_module("dense", nn::Linear(c.intermediate, c.hidden));
}

torch::Tensor BertLayerImpl::forward(const torch::Tensor& x, TextMode mode, const torch::Tensor& self_mask,
                                     const CrossContext* cross, LayerCache* cache) {
  torch::Tensor a = attention->output(attention->self->forward_self(x, self_mask, cache), x);
  torch::Tensor delta_q, delta_h;
  torch::Tensor h = a;
  if (mode == TextMode::Multimodal) {
    check(cross != nullptr && cross->states.defined(), kErrArg, "multimodal mode needs encoder states");
    if (adapter && add_query) delta_q = adapter(a, AdapterMode::Text);
    h = crossattention->output(crossattention->self->forward_cross(a, *cross, cache), a);
    if (adapter && add_multimodal) delta_h = adapter(h, AdapterMode::Multimodal);
  } else if (adapter && add_text) {
    delta_q = adapter(a, AdapterMode::Text);
  }
  torch::Tensor out = output(torch::gelu(intermediate->dense(h)), h);
  BottleneckAdapter par = mode == TextMode::Multimodal ? cross_adapter_par : text_adapter_par;
  BottleneckAdapter seq = mode == TextMode::Multimodal ? cross_adapter_seq : text_adapter_seq;
  if (par) out = out + par(h);
  if (delta_q.defined()) out = out + delta_q;
  if (delta_h.defined()) out = out + delta_h;
  if (seq) out = out + seq(out);
  return out;
}

BertEncoderImpl::BertEncoderImpl(const TextConfig& c) {
  layer = register_module("layer", nn::ModuleList());
  for (int64_t i = 0; i < c.layers; ++i) {
    BertLayer l(c);
    layer->push_back(l);
  }
}

BertModelImpl::BertModelImpl(const TextConfig& c) : config(c) {
  embeddings = register_module("embeddings", BertEmbeddings(c));
  encoder = register_module("encoder", BertEncoder(c));
}

torch::Tensor BertModelImpl::forward(const torch::Tensor& ids, const torch::Tensor& mask, TextMode mode, bool causal,
                                     CrossContext* cross, std::vector<LayerCache>* caches) {
  check(ids.dim() == 2, kErrShape, "token ids must be [batch, length]");
  const int64_t L = ids.size(1);
  const int64_t past = caches && !caches->empty() && (*caches)[0].self_k.defined() ? (*caches)[0].self_k.size(2) : 0;
  check(mask.dim() == 2 && mask.size(0) == ids.size(0) && mask.size(1) == past + L, kErrShape,
        "attention mask must be [batch, " + std::to_string(past + L) + "]");
  torch::Tensor x = embeddings(ids, past);
  torch::Tensor self_mask = self_attention_mask(mask, L, causal, x.scalar_type());
  if (mode == TextMode::Multimodal) {
    check(cross && cross->states.defined(), kErrArg, "multimodal mode needs encoder states");
    if (encoder->video_key_adapter && !cross->delta_k.defined() &&
        !(caches && !caches->empty() && (*caches)[0].cross_k.defined())) {
      cross->delta_k = encoder->video_key_adapter(cross->states);
      cross->delta_v = encoder->video_value_adapter(cross->states);
    }
  }
  const int64_t n = encoder->num_layers();
  if (caches && caches->empty()) caches->resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    x = encoder->layer_at(i).forward(x, mode, self_mask, cross, caches ? &(*caches)[static_cast<size_t>(i)] : nullptr);
  return x;
}

LmTransformImpl::LmTransformImpl(const TextConfig& c) {
  dense = register_module("dense", nn::Linear(c.hidden, c.hidden));
  LayerNorm = register_module("LayerNorm", nn::LayerNorm(nn::LayerNormOptions({c.hidden}).eps(c.ln_eps)));
}

LmPredictionsImpl::LmPredictionsImpl(const TextConfig& c) {
  transform = register_module("transform", LmTransform(c));
  bias = register_parameter("bias", torch::zeros({c.vocab_size}));
}

LmClsImpl::LmClsImpl(const TextConfig& c) { predictions = register_module("predictions", LmPredictions(c)); }

BertLMHeadModelImpl::BertLMHeadModelImpl(const TextConfig& c) {
  bert = register_module("bert", BertModel(c));
  cls = register_module("cls", LmCls(c));
}

torch::Tensor BertLMHeadModelImpl::logits(const torch::Tensor& hidden) {
  auto& t = cls->predictions->transform;
  torch::Tensor h = layer_norm(t->LayerNorm, torch::gelu(t->dense(hidden)));
  return torch::linear(h, bert->embeddings->word_embeddings->weight, cls->predictions->bias);
}

}  // namespace ua
