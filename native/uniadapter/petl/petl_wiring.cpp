#include "uniadapter/petl/petl_wiring.h"

#include "uniadapter/runtime/error.h"

namespace ua {

namespace nn = torch::nn;

void attach_uniadapters(torch::nn::Module& owner, const std::string& list_name, const std::string& visual_list_name,
                        const PetlConfig& petl, const TaskConfig& task, PetlHosts hosts, ParameterRegistry& registry) {
  const int64_t n_text = task.text.layers;
  const int64_t d_text = task.text.hidden;
  // Only the chosen layers get a module; children are named by layer index as in the official
  // checkpoints (adapters.4.down_proj.weight is the adapter of layer index 4).
  auto list = owner.register_module(list_name, std::make_shared<nn::Module>("AdapterList"));
  registry.declare(*list, "uniadapter", ParamRole::Petl);
  std::vector<UniAdapter> adapters(n_text, UniAdapter(nullptr));
  for (int64_t i = 0; i < n_text; ++i) {
    if (!petl.layer_enabled(i, n_text)) continue;
    adapters[i] = UniAdapter(d_text, petl.bottleneck, petl.scale, petl.share);
    list->register_module(std::to_string(i), adapters[i]);
  }
  for (auto& bert : hosts.texts) {
    auto& enc = *bert->encoder;
    check(enc.num_layers() == n_text, kErrConfig,
          "the text decoder must have as many layers as the text encoder to share UniAdapters");
    for (int64_t i = 0; i < n_text; ++i) {
      if (!petl.layer_enabled(i, n_text)) continue;
      BertLayerImpl& layer = enc.layer_at(i);
      layer.adapter = adapters[i];
      layer.add_text = petl.textual;
      layer.add_query = petl.textual && petl.query_residual;
      layer.add_multimodal = petl.multimodal;
    }
  }
  if (!hosts.vit || !petl.visual) return;
  const auto& vc = hosts.vit->config;
  const bool same_shape = vc.width == d_text && vc.depth == n_text;
  if (same_shape) {
    for (int64_t i = 0; i < vc.depth; ++i)
      if (petl.layer_enabled(i, vc.depth)) hosts.vit->block(i).adapter = adapters[i];
    return;
  }
  // ViT-L next to BERT-base: independent visual adapters of the ViT's width, one per block
  // (the official code cannot build this configuration; see ARCHITECTURE_SPEC section 15).
  auto vlist = owner.register_module(visual_list_name, std::make_shared<nn::Module>("AdapterList"));
  registry.declare(*vlist, "uniadapter", ParamRole::Petl);
  for (int64_t i = 0; i < vc.depth; ++i) {
    if (!petl.layer_enabled(i, vc.depth)) continue;
    UniAdapter a(vc.width, petl.bottleneck, petl.scale, petl.share, /*visual_only=*/true);
    vlist->register_module(std::to_string(i), a);
    hosts.vit->block(i).adapter = a;
  }
}

void attach_kv_adapters(const PetlConfig& petl, const TextConfig& text, BertModel& bert, ParameterRegistry& registry) {
  if (!petl.kv_adapter) return;
  auto& enc = bert->encoder;
  enc->video_key_adapter = enc->register_module("video_key_adapter", KvAdapter(text.encoder_width, text.hidden, petl.kv_bottleneck));
  enc->video_value_adapter =
      enc->register_module("video_value_adapter", KvAdapter(text.encoder_width, text.hidden, petl.kv_bottleneck));
  registry.declare(*enc->video_key_adapter, "kvAdapter", ParamRole::Petl);
  registry.declare(*enc->video_value_adapter, "kvAdapter", ParamRole::Petl);
}

namespace {

// Registers a baseline module inside its host and declares it (LoRA, prefix, or bottleneck adapter).
template <typename Host, typename M>
M attach_module(Host& host, const std::string& name, const std::string& group, M module, ParameterRegistry& registry) {
  M m = host->register_module(name, module);
  registry.declare(*m, group, ParamRole::Petl);
  return m;
}

}  // namespace

void attach_baselines(const PetlConfig& p, PetlHosts hosts, ParameterRegistry& registry) {
  auto attach = [&registry](auto& host, const std::string& name, const std::string& group, auto module) {
    return attach_module(host, name, group, module, registry);
  };
  const bool seq = p.method == Method::Adapter;
  const bool par = p.method == Method::Parallel || p.method == Method::Mam;
  const bool lora = p.method == Method::Lora;
  const bool prefix = p.method == Method::Mam;
  if (!seq && !par && !lora && !prefix) return;
  // Houlsby-style adapters are added at full strength; parallel adapters use the configured scale.
  const double seq_scale = 1.0;
  if (hosts.vit && p.visual) {
    const auto& vc = hosts.vit->config;
    for (int64_t i = 0; i < vc.depth; ++i) {
      if (!p.layer_enabled(i, vc.depth)) continue;
      VitBlockImpl* b = &hosts.vit->block(i);
      if (seq) b->adapter_seq = attach(b, "adapter_seq", "adapter", BottleneckAdapter(vc.width, p.bottleneck, seq_scale));
      if (par) b->adapter_par = attach(b, "adapter_par", "adapter", BottleneckAdapter(vc.width, p.bottleneck, p.scale));
      if (lora) {
        b->attn->lora_q = attach(b->attn, "lora_q", "lora", Lora(vc.width, vc.width, p.lora_rank, p.lora_alpha));
        b->attn->lora_v = attach(b->attn, "lora_v", "lora", Lora(vc.width, vc.width, p.lora_rank, p.lora_alpha));
      }
      if (prefix) b->attn->prefix = attach(b->attn, "prefix", "prefix", Prefix(p.prefix_length, vc.width));
    }
  }
  for (auto& bert : hosts.texts) {
    const auto& tc = bert->config;
    auto& enc = *bert->encoder;
    for (int64_t i = 0; i < enc.num_layers(); ++i) {
      if (!p.layer_enabled(i, tc.layers)) continue;
      BertLayerImpl* l = &enc.layer_at(i);
      if (p.textual) {
        if (seq) l->text_adapter_seq = attach(l, "text_adapter_seq", "adapter", BottleneckAdapter(tc.hidden, p.bottleneck, seq_scale));
        if (par) l->text_adapter_par = attach(l, "text_adapter_par", "adapter", BottleneckAdapter(tc.hidden, p.bottleneck, p.scale));
        auto& sa = l->attention->self;
        if (lora) {
          sa->lora_q = attach(sa, "lora_q", "lora", Lora(tc.hidden, tc.hidden, p.lora_rank, p.lora_alpha));
          sa->lora_v = attach(sa, "lora_v", "lora", Lora(tc.hidden, tc.hidden, p.lora_rank, p.lora_alpha));
        }
        if (prefix) sa->prefix = attach(sa, "prefix", "prefix", Prefix(p.prefix_length, tc.hidden));
      }
      if (p.multimodal) {
        if (seq) l->cross_adapter_seq = attach(l, "cross_adapter_seq", "adapter", BottleneckAdapter(tc.hidden, p.bottleneck, seq_scale));
        if (par) l->cross_adapter_par = attach(l, "cross_adapter_par", "adapter", BottleneckAdapter(tc.hidden, p.bottleneck, p.scale));
        if (lora) {
          auto& ca = l->crossattention->self;
          ca->lora_q = attach(ca, "lora_q", "lora", Lora(tc.hidden, tc.hidden, p.lora_rank, p.lora_alpha));
          ca->lora_v = attach(ca, "lora_v", "lora", Lora(tc.encoder_width, tc.hidden, p.lora_rank, p.lora_alpha));
        }
      }
    }
  }
}

std::vector<UniAdapter> uniadapters_of(torch::nn::Module& owner, const std::string& list_name) {
  std::vector<UniAdapter> out;
  for (const auto& child : owner.named_children()) {
    if (child.key() != list_name) continue;
    for (const auto& m : child.value()->children())
      out.emplace_back(std::dynamic_pointer_cast<UniAdapterImpl>(m));
  }
  return out;
}

}  // namespace ua
