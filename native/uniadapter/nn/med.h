// The MED text transformer of BLIP (models/med.py): BERT-base with a cross-attention sub-layer in every
// layer, run as unimodal text encoder ('text'), image-grounded encoder ('multimodal'), or causal decoder
// with the tied LM head; UniAdapter's textual, query-residual and cross-modal deltas are added after
// each layer's FFN LayerNorm, and the key/value adapters offset every cross-attention.
#pragma once
#include "uniadapter/runtime/config.h"
#include "uniadapter/petl/petl_baselines.h"
#include "uniadapter/runtime/torch_all.h"
#include "uniadapter/petl/uniadapter_module.h"

namespace ua {

enum class TextMode { Text, Multimodal };

// Per-layer cache: decoder self-attention keys/values, and cross-attention keys/values that stay the
// same for the whole generation.
struct LayerCache {
  torch::Tensor self_k, self_v;
  torch::Tensor cross_k, cross_v;
};

// What the cross-attention of every layer needs in one forward.
struct CrossContext {
  torch::Tensor states;       // E [B or 1, Le, encoder_width]
  torch::Tensor mask_add;     // additive [B or 1, 1, 1, Le], or undefined (all keys visible)
  torch::Tensor delta_k;      // kv-adapter offsets [B or 1, Le, hidden], or undefined
  torch::Tensor delta_v;
  torch::Tensor pfa_weights;  // per-frame key scale [B, T] (already softmaxed and x T), or undefined
};

struct BertEmbeddingsImpl : torch::nn::Module {
  explicit BertEmbeddingsImpl(const TextConfig& c);
  torch::Tensor forward(const torch::Tensor& ids, int64_t past_len);
  torch::nn::Embedding word_embeddings{nullptr};
  torch::nn::Embedding position_embeddings{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  torch::Tensor position_ids;
  double dropout;
};
TORCH_MODULE(BertEmbeddings);

struct BertSelfAttentionImpl : torch::nn::Module {
  BertSelfAttentionImpl(const TextConfig& c, bool cross);
  torch::Tensor forward_self(const torch::Tensor& x, const torch::Tensor& mask_add, LayerCache* cache);
  torch::Tensor forward_cross(const torch::Tensor& x, const CrossContext& ctx, LayerCache* cache);

  torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr};
  Lora lora_q{nullptr};
  Lora lora_v{nullptr};
  Prefix prefix{nullptr};
  int64_t heads;
  double dropout;
};
TORCH_MODULE(BertSelfAttention);

struct BertSelfOutputImpl : torch::nn::Module {
  explicit BertSelfOutputImpl(const TextConfig& c);
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& input);
  torch::nn::Linear dense{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  double dropout;
};
TORCH_MODULE(BertSelfOutput);

struct BertAttentionImpl : torch::nn::Module {
  BertAttentionImpl(const TextConfig& c, bool cross);
  BertSelfAttention self{nullptr};
  BertSelfOutput output{nullptr};
};
TORCH_MODULE(BertAttention);

struct BertIntermediateImpl : torch::nn::Module {
  explicit BertIntermediateImpl(const TextConfig& c);
  torch::nn::Linear dense{nullptr};
};
TORCH_MODULE(BertIntermediate);

struct BertLayerImpl : torch::nn::Module {
  explicit BertLayerImpl(const TextConfig& c);
  torch::Tensor forward(const torch::Tensor& x, TextMode mode, const torch::Tensor& self_mask, const CrossContext* cross,
                        LayerCache* cache);

  BertAttention attention{nullptr};
  BertAttention crossattention{nullptr};
  BertIntermediate intermediate{nullptr};
  BertSelfOutput output{nullptr};  // output.dense, output.LayerNorm
  // UniAdapter of this layer index (shared, owned by the task model) and which deltas it adds.
  UniAdapter adapter{nullptr};
  bool add_text = false;        // text mode: delta after the FFN
  bool add_query = false;       // multimodal mode: query residual (textual branch on the self-attention output)
  bool add_multimodal = false;  // multimodal mode: cross-modal branch on the cross-attention output
  // Baselines: Houlsby-style sequential adapters and parallel adapters, per mode.
  BottleneckAdapter text_adapter_seq{nullptr}, cross_adapter_seq{nullptr};
  BottleneckAdapter text_adapter_par{nullptr}, cross_adapter_par{nullptr};
};
TORCH_MODULE(BertLayer);

struct BertEncoderImpl : torch::nn::Module {
  explicit BertEncoderImpl(const TextConfig& c);
  torch::nn::ModuleList layer{nullptr};  // the only owner of the layers

  int64_t num_layers() const { return static_cast<int64_t>(layer->size()); }
  BertLayerImpl& layer_at(int64_t i) { return *layer->ptr<BertLayerImpl>(static_cast<size_t>(i)); }
  KvAdapter video_key_adapter{nullptr};
  KvAdapter video_value_adapter{nullptr};
};
TORCH_MODULE(BertEncoder);

struct BertModelImpl : torch::nn::Module {
  explicit BertModelImpl(const TextConfig& c);

  // ids [B, L]; mask [B, past + L] (0/1); for mode Multimodal, cross.states etc. must be set.
  // causal: decoder self-attention. caches: one per layer (decoder generation) or null.
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& mask, TextMode mode, bool causal,
                        CrossContext* cross, std::vector<LayerCache>* caches = nullptr);

  TextConfig config;
  BertEmbeddings embeddings{nullptr};
  BertEncoder encoder{nullptr};
};
TORCH_MODULE(BertModel);

struct LmTransformImpl : torch::nn::Module {
  explicit LmTransformImpl(const TextConfig& c);
  torch::nn::Linear dense{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
};
TORCH_MODULE(LmTransform);

struct LmPredictionsImpl : torch::nn::Module {
  explicit LmPredictionsImpl(const TextConfig& c);
  LmTransform transform{nullptr};
  torch::Tensor bias;  // the decoder weight is tied to bert.embeddings.word_embeddings.weight
};
TORCH_MODULE(LmPredictions);

struct LmClsImpl : torch::nn::Module {
  explicit LmClsImpl(const TextConfig& c);
  LmPredictions predictions{nullptr};
};
TORCH_MODULE(LmCls);

struct BertLMHeadModelImpl : torch::nn::Module {
  explicit BertLMHeadModelImpl(const TextConfig& c);
  torch::Tensor logits(const torch::Tensor& hidden);

  BertModel bert{nullptr};
  LmCls cls{nullptr};
};
TORCH_MODULE(BertLMHeadModel);

// Additive masks of the official code: (1 - m) * -10000 for self-attention, (1 - m) * -1e9 across.
torch::Tensor self_attention_mask(const torch::Tensor& mask01, int64_t query_len, bool causal, at::ScalarType dtype);
torch::Tensor cross_attention_mask(const torch::Tensor& mask01, at::ScalarType dtype);

}  // namespace ua
