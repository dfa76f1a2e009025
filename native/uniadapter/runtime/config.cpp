#include "uniadapter/runtime/config.h"

#include <algorithm>
#include <regex>

#include "uniadapter/runtime/error.h"

namespace ua {
namespace {

VisionConfig vision_from(const Options& o, VisionConfig v) {
  v.image_size = o.get_int("imageSize", v.image_size);
  v.patch_size = o.get_int("patchSize", v.patch_size);
  v.in_chans = o.get_int("inChans", v.in_chans);
  v.width = o.get_int("width", v.width);
  v.depth = o.get_int("depth", v.depth);
  v.heads = o.get_int("heads", v.heads);
  v.mlp_hidden = o.get_int("mlpHidden", v.mlp_hidden);
  v.qkv_bias = o.get_bool("qkvBias", v.qkv_bias);
  v.ln_eps = o.get_double("lnEps", v.ln_eps);
  v.drop_path = o.get_double("dropPath", v.drop_path);
  v.grad_ckpt_layers = o.get_int("gradCheckpointLayers", v.grad_ckpt_layers);
  check(v.patch_size > 0 && v.image_size > 0 && v.image_size % v.patch_size == 0, kErrConfig,
        "vision.imageSize (" + std::to_string(v.image_size) + ") must be a positive multiple of vision.patchSize (" +
            std::to_string(v.patch_size) + ")");
  check(v.width > 0 && v.heads > 0 && v.width % v.heads == 0, kErrConfig,
        "vision.width must be a positive multiple of vision.heads");
  check(v.depth > 0 && v.mlp_hidden > 0, kErrConfig, "vision.depth and vision.mlpHidden must be positive");
  check(v.drop_path >= 0 && v.drop_path < 1, kErrConfig, "vision.dropPath must be in [0, 1)");
  return v;
}

TextConfig text_from(const Options& o, TextConfig t) {
  t.vocab_size = o.get_int("vocabSize", t.vocab_size);
  t.hidden = o.get_int("hidden", t.hidden);
  t.layers = o.get_int("layers", t.layers);
  t.heads = o.get_int("heads", t.heads);
  t.intermediate = o.get_int("intermediate", t.intermediate);
  t.max_position = o.get_int("maxPosition", t.max_position);
  t.ln_eps = o.get_double("lnEps", t.ln_eps);
  t.hidden_dropout = o.get_double("hiddenDropout", t.hidden_dropout);
  t.attn_dropout = o.get_double("attentionDropout", t.attn_dropout);
  t.encoder_width = o.get_int("encoderWidth", t.encoder_width);
  check(t.hidden > 0 && t.heads > 0 && t.hidden % t.heads == 0, kErrConfig,
        "text.hidden must be a positive multiple of text.heads");
  check(t.layers > 0 && t.vocab_size > 0 && t.max_position > 0 && t.intermediate > 0, kErrConfig,
        "text.layers, vocabSize, maxPosition and intermediate must be positive");
  return t;
}

Method parse_method(const std::string& s) {
  if (s == "uniadapter") return Method::UniAdapter;
  if (s == "linear-probe") return Method::LinearProbe;
  if (s == "adapter") return Method::Adapter;
  if (s == "parallel") return Method::Parallel;
  if (s == "mam") return Method::Mam;
  if (s == "lora") return Method::Lora;
  if (s == "full") return Method::Full;
  if (s == "frozen" || s == "none") return Method::Frozen;
  fail(kErrConfig, "unknown method '" + s + "' (uniadapter, linear-probe, adapter, parallel, mam, lora, full, none)");
}

Share parse_share(const std::string& s) {
  if (s == "down") return Share::Down;
  if (s == "none") return Share::None;
  if (s == "up") return Share::Up;
  if (s == "both") return Share::Both;
  fail(kErrConfig, "unknown sharing '" + s + "' (down, none, up, both)");
}

InitScheme parse_init(const std::string& s) {
  if (s == "code-retrieval") return InitScheme::CodeRetrieval;
  if (s == "code-vqa") return InitScheme::CodeVqa;
  if (s == "paper") return InitScheme::Paper;
  fail(kErrConfig, "unknown init '" + s + "' (code-retrieval, code-vqa, paper)");
}

PfaMode parse_pfa(const std::string& s) {
  if (s == "code") return PfaMode::Code;
  if (s == "paper") return PfaMode::Paper;
  if (s == "off") return PfaMode::Off;
  fail(kErrConfig, "unknown pfa '" + s + "' (code, paper, off)");
}

PetlConfig petl_from(const Options& o, const std::string& task) {
  PetlConfig p;
  p.method = parse_method(o.get_string("method", "uniadapter"));
  p.bottleneck = o.get_int("bottleneck", p.bottleneck);
  p.scale = o.get_double("scale", p.scale);
  p.share = parse_share(o.get_string("share", "down"));
  p.query_residual = o.get_bool("queryResidual", p.query_residual);
  auto mods = o.get_strings("modalities", {"visual", "textual", "multimodal"});
  p.visual = p.textual = p.multimodal = false;
  for (const auto& m : mods) {
    if (m == "visual") p.visual = true;
    else if (m == "textual") p.textual = true;
    else if (m == "multimodal" || m == "cross-modal") p.multimodal = true;
    else fail(kErrConfig, "unknown modality '" + m + "' (visual, textual, multimodal)");
  }
  auto layers = o.get_ints("layers", {});
  if (!layers.empty()) {
    check(layers.size() == 2 && layers[0] >= 1 && layers[1] >= layers[0], kErrConfig,
          "adapter layers must be [from, to], 1-based and inclusive, e.g. [5, 12]");
    p.layer_from = layers[0];
    p.layer_to = layers[1];
  }
  p.init = parse_init(o.get_string("init", task == "retrieval" ? "code-retrieval" : task == "caption" ? "code-retrieval" : "code-vqa"));
  p.kv_adapter = o.get_bool("kvAdapter", p.method == Method::UniAdapter);
  p.kv_bottleneck = o.get_int("kvBottleneck", p.kv_bottleneck);
  p.pfa = parse_pfa(o.get_string("pfa", "code"));
  const std::string rule = o.get_string("trainableRule", "official");
  check(rule == "official" || rule == "corrected", kErrConfig, "trainableRule must be 'official' or 'corrected'");
  p.trainable_rule = rule == "official" ? TrainableRule::Official : TrainableRule::Corrected;
  p.lora_rank = o.get_int("loraRank", p.lora_rank);
  p.lora_alpha = o.get_double("loraAlpha", p.lora_alpha);
  p.prefix_length = o.get_int("prefixLength", p.prefix_length);
  p.freeze = o.get_strings("freeze", {});
  for (const auto& pattern : p.freeze) {
    try {
      std::regex compiled(pattern);
    } catch (const std::regex_error& e) {
      fail(kErrConfig, "petl.freeze: '" + pattern + "' is not a regular expression (" + e.what() + ")");
    }
  }
  check(p.bottleneck > 0 && p.kv_bottleneck > 0 && p.lora_rank > 0 && p.prefix_length > 0, kErrConfig,
        "bottleneck, kvBottleneck, loraRank and prefixLength must be positive");
  return p;
}

const char* share_name(Share s) {
  switch (s) {
    case Share::Down: return "down";
    case Share::None: return "none";
    case Share::Up: return "up";
    case Share::Both: return "both";
  }
  return "?";
}

const char* init_name(InitScheme i) {
  switch (i) {
    case InitScheme::CodeRetrieval: return "code-retrieval";
    case InitScheme::CodeVqa: return "code-vqa";
    case InitScheme::Paper: return "paper";
  }
  return "?";
}

const char* pfa_name(PfaMode p) {
  switch (p) {
    case PfaMode::Code: return "code";
    case PfaMode::Paper: return "paper";
    case PfaMode::Off: return "off";
  }
  return "?";
}

void put_vision(Options& o, const VisionConfig& v) {
  o.set("vision.imageSize", v.image_size);
  o.set("vision.patchSize", v.patch_size);
  o.set("vision.inChans", v.in_chans);
  o.set("vision.width", v.width);
  o.set("vision.depth", v.depth);
  o.set("vision.heads", v.heads);
  o.set("vision.mlpHidden", v.mlp_hidden);
  o.set("vision.qkvBias", v.qkv_bias);
  o.set("vision.lnEps", v.ln_eps);
  o.set("vision.dropPath", v.drop_path);
  o.set("vision.gradCheckpointLayers", v.grad_ckpt_layers);
}

void put_text(Options& o, const std::string& prefix, const TextConfig& t) {
  o.set(prefix + "vocabSize", t.vocab_size);
  o.set(prefix + "hidden", t.hidden);
  o.set(prefix + "layers", t.layers);
  o.set(prefix + "heads", t.heads);
  o.set(prefix + "intermediate", t.intermediate);
  o.set(prefix + "maxPosition", t.max_position);
  o.set(prefix + "lnEps", t.ln_eps);
  o.set(prefix + "hiddenDropout", t.hidden_dropout);
  o.set(prefix + "attentionDropout", t.attn_dropout);
  o.set(prefix + "encoderWidth", t.encoder_width);
}

void put_petl(Options& o, const TaskConfig& c) {
  const PetlConfig& p = c.petl;
  o.set("petl.method", method_name(p.method));
  o.set("petl.bottleneck", p.bottleneck);
  o.set("petl.scale", p.scale);
  o.set("petl.share", std::string(share_name(p.share)));
  o.set("petl.queryResidual", p.query_residual);
  std::vector<std::string> mods;
  if (p.visual) mods.emplace_back("visual");
  if (p.textual) mods.emplace_back("textual");
  if (p.multimodal) mods.emplace_back("multimodal");
  o.set("petl.modalities", mods);
  // layer_to 0 means each stack's last layer; the deepest stack's depth selects the same layers.
  const int64_t deepest = std::max({c.vision.depth, c.text.layers, c.decoder.layers});
  o.set("petl.layers", std::vector<int64_t>{p.layer_from, p.layer_to == 0 ? deepest : p.layer_to});
  o.set("petl.init", std::string(init_name(p.init)));
  o.set("petl.kvAdapter", p.kv_adapter);
  o.set("petl.kvBottleneck", p.kv_bottleneck);
  o.set("petl.pfa", std::string(pfa_name(p.pfa)));
  o.set("petl.trainableRule", std::string(p.trainable_rule == TrainableRule::Official ? "official" : "corrected"));
  o.set("petl.loraRank", p.lora_rank);
  o.set("petl.loraAlpha", p.lora_alpha);
  o.set("petl.prefixLength", p.prefix_length);
  o.set("petl.freeze", p.freeze);
}

// Every key a configuration may hold: the keys of the resolved default configuration.
void check_known_keys(const Options& given, const TaskConfig& built) {
  const Options known = task_config_to_options(built);
  for (const auto& kv : given.values()) {
    if (known.has(kv.first)) continue;
    const auto dot = kv.first.find('.');
    const std::string group = dot == std::string::npos ? "" : kv.first.substr(0, dot + 1);
    std::string list;
    for (const auto& k : known.values()) {
      const bool same_group = group.empty() ? k.first.find('.') == std::string::npos : k.first.rfind(group, 0) == 0;
      if (same_group) list += (list.empty() ? "" : ", ") + k.first;
    }
    fail(kErrConfig, "unknown configuration key '" + kv.first + "' (known" + (group.empty() ? "" : " under '" + group + "'") +
                         ": " + list + ")");
  }
}

}  // namespace

std::string effective_frozen_dtype(const TaskConfig& c) {
  if (c.frozen_dtype != "auto") return c.frozen_dtype;
  const bool cuda = c.device.rfind("cuda", 0) == 0;
  return cuda && c.precision != "fp32" ? (c.precision == "fp16" ? "float16" : "bfloat16") : "float32";
}

Options task_config_to_options(const TaskConfig& c) {
  Options o;
  o.set("task", c.task);
  put_vision(o, c.vision);
  put_text(o, "text.", c.text);
  put_text(o, "decoder.", c.decoder);
  put_petl(o, c);
  o.set("embedDim", c.embed_dim);
  o.set("queueSize", c.queue_size);
  o.set("momentum", c.momentum);
  o.set("momentumUpdate", std::string(c.momentum_update == MomentumUpdate::Official ? "official" : "single"));
  o.set("momentumSharesBackbone", c.momentum_shares_backbone);
  o.set("negativeAllRank", c.negative_all_rank);
  o.set("tokens.enc", c.enc_token_id);
  o.set("tokens.bos", c.bos_token_id);
  o.set("tokens.sep", c.sep_token_id);
  o.set("tokens.pad", c.pad_token_id);
  o.set("tokens.cls", c.cls_token_id);
  o.set("labelSmoothing", c.label_smoothing);
  o.set("seed", c.seed);
  o.set("device", c.device);
  o.set("precision", c.precision);
  o.set("frozenDtype", effective_frozen_dtype(c));
  o.set("backboneInit", c.backbone_init);
  o.set("posEmbedInit", c.pos_embed_init);
  o.set("lossScaling", c.loss_scaling);
  o.set("lossScaleInit", c.loss_scale_init);
  o.set("lossScaleGrowthInterval", c.loss_scale_growth_interval);
  return o;
}

std::string method_name(Method m) {
  switch (m) {
    case Method::UniAdapter: return "uniadapter";
    case Method::LinearProbe: return "linear-probe";
    case Method::Adapter: return "adapter";
    case Method::Parallel: return "parallel";
    case Method::Mam: return "mam";
    case Method::Lora: return "lora";
    case Method::Full: return "full";
    case Method::Frozen: return "none";
  }
  return "?";
}

bool PetlConfig::layer_enabled(int64_t index0, int64_t num_layers) const {
  const int64_t to = layer_to == 0 ? num_layers : layer_to;
  return index0 + 1 >= layer_from && index0 + 1 <= to;
}

TaskConfig task_config_from_options(const Options& o) {
  TaskConfig c;
  c.task = o.get_string("task", "retrieval");
  check(c.task == "retrieval" || c.task == "vqa" || c.task == "caption" || c.task == "pretrain", kErrConfig,
        "task must be 'retrieval', 'vqa', 'caption' or 'pretrain', got '" + c.task + "'");
  c.vision = vision_from(o.sub("vision."), VisionConfig{});
  c.text = text_from(o.sub("text."), TextConfig{});
  c.text.encoder_width = o.get_int("text.encoderWidth", c.vision.width);
  c.decoder = text_from(o.sub("decoder."), c.text);
  c.decoder.encoder_width = o.get_int("decoder.encoderWidth", c.task == "vqa" ? c.text.hidden : c.vision.width);
  c.petl = petl_from(o.sub("petl."), c.task);
  c.embed_dim = o.get_int("embedDim", c.embed_dim);
  c.queue_size = o.get_int("queueSize", c.queue_size);
  c.momentum = o.get_double("momentum", c.momentum);
  const std::string mu = o.get_string("momentumUpdate", "official");
  check(mu == "official" || mu == "single", kErrConfig, "momentumUpdate must be 'official' (double update of shared adapters) or 'single'");
  c.momentum_update = mu == "official" ? MomentumUpdate::Official : MomentumUpdate::Single;
  c.momentum_shares_backbone = o.get_bool("momentumSharesBackbone", false);
  c.negative_all_rank = o.get_bool("negativeAllRank", false);
  c.enc_token_id = o.get_int("tokens.enc", c.enc_token_id);
  c.bos_token_id = o.get_int("tokens.bos", c.bos_token_id);
  c.sep_token_id = o.get_int("tokens.sep", c.sep_token_id);
  c.pad_token_id = o.get_int("tokens.pad", c.pad_token_id);
  c.cls_token_id = o.get_int("tokens.cls", c.cls_token_id);
  c.label_smoothing = o.get_double("labelSmoothing", c.label_smoothing);
  c.seed = o.get_int("seed", c.seed);
  c.device = o.get_string("device", "cpu");
  c.precision = o.get_string("precision", "fp32");
  check(c.precision == "fp32" || c.precision == "bf16" || c.precision == "fp16", kErrConfig,
        "precision must be 'fp32', 'bf16' or 'fp16'");
  c.frozen_dtype = o.get_string("frozenDtype", "auto");
  c.backbone_init = o.get_string("backboneInit", "blip");
  c.pos_embed_init = o.get_string("posEmbedInit", "blip");
  c.loss_scaling = o.get_string("lossScaling", "auto");
  check(c.loss_scaling == "auto" || c.loss_scaling == "dynamic" || c.loss_scaling == "off", kErrConfig,
        "lossScaling must be 'auto', 'dynamic' or 'off'");
  c.loss_scale_init = o.get_double("lossScaleInit", c.loss_scale_init);
  c.loss_scale_growth_interval = o.get_int("lossScaleGrowthInterval", c.loss_scale_growth_interval);
  check(c.loss_scale_init > 0 && c.loss_scale_growth_interval > 0, kErrConfig, "lossScaleInit and lossScaleGrowthInterval must be positive");
  check(c.backbone_init == "blip" || c.backbone_init == "variance-preserving", kErrConfig,
        "backboneInit must be 'blip' or 'variance-preserving'");
  check(c.pos_embed_init == "blip" || c.pos_embed_init == "sincos", kErrConfig, "posEmbedInit must be 'blip' or 'sincos'");
  check(c.pos_embed_init != "sincos" || c.vision.width % 4 == 0, kErrConfig,
        "posEmbedInit 'sincos' splits vision.width into four sine and cosine quarters, so it must be a multiple of 4, got " +
            std::to_string(c.vision.width));
  check(c.queue_size > 0 && c.embed_dim > 0, kErrConfig, "queueSize and embedDim must be positive");
  check(c.petl.pfa != PfaMode::Paper || c.vision.width == c.text.hidden, kErrConfig,
        "pfa 'paper' multiplies frame CLS and text CLS states, which needs vision.width (" + std::to_string(c.vision.width) +
            ") == text.hidden (" + std::to_string(c.text.hidden) + "); use pfa 'code' for this backbone");
  check(c.frozen_dtype == "auto" || c.frozen_dtype == "float32" || c.frozen_dtype == "bfloat16" || c.frozen_dtype == "float16",
        kErrConfig, "frozenDtype must be 'auto', 'float32', 'bfloat16' or 'float16'");
  check_known_keys(o, c);
  return c;
}

}  // namespace ua
