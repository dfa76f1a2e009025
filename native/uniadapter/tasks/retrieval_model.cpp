#include "uniadapter/tasks/retrieval_model.h"

#include <cstring>
#include <map>
#include <set>

#include "uniadapter/train/amp.h"
#include "uniadapter/runtime/error.h"
#include "uniadapter/petl/petl_wiring.h"
#include "uniadapter/runtime/name_util.h"
#include "uniadapter/runtime/tensor_util.h"
#include "uniadapter/nn/weight_init.h"

namespace ua {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {

torch::Tensor l2_normalize(const torch::Tensor& x) { return F::normalize(x, F::NormalizeFuncOptions().dim(-1)); }

void ema(torch::nn::Module& main, torch::nn::Module& momentum, double m, int times) {
  auto a = main.parameters();
  auto b = momentum.parameters();
  check(a.size() == b.size(), kErrState, "momentum model does not mirror the main model");
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].data_ptr() == b[i].data_ptr()) continue;  // shared frozen tensor: the EMA is the identity
    for (int t = 0; t < times; ++t) b[i].set_data(b[i].data() * m + a[i].data().to(b[i].dtype()) * (1.0 - m));
  }
}

void copy_params(torch::nn::Module& main, torch::nn::Module& momentum) {
  torch::NoGradGuard g;
  auto a = main.parameters();
  auto b = momentum.parameters();
  for (size_t i = 0; i < a.size(); ++i) b[i].copy_(a[i]);
}

struct Capture {
  bool enabled;
  Result& out;
  void operator()(const std::string& n, const torch::Tensor& t) const {
    if (enabled) out.tensors.emplace_back(n, t.detach());
  }
};

}  // namespace

RetrievalModel::RetrievalModel(const TaskConfig& c) : RetrievalModel(c, Unfinished{}) { finish_construction(); }

RetrievalModel::RetrievalModel(const TaskConfig& c, Unfinished) : TaskModel(c) {
  auto& r = *root_;
  visual_encoder = r.register_module("visual_encoder", VisionTransformer(c.vision));
  text_encoder = r.register_module("text_encoder", BertModel(c.text));
  vision_proj = r.register_module("vision_proj", nn::Linear(c.vision.width, c.embed_dim));
  text_proj = r.register_module("text_proj", nn::Linear(c.text.hidden, c.embed_dim));
  itm_head = r.register_module("itm_head", nn::Linear(c.text.hidden, 2));
  temp = r.register_parameter("temp", torch::full({}, 0.07));
  visual_encoder_m = r.register_module("visual_encoder_m", VisionTransformer(c.vision));
  text_encoder_m = r.register_module("text_encoder_m", BertModel(c.text));
  vision_proj_m = r.register_module("vision_proj_m", nn::Linear(c.vision.width, c.embed_dim));
  text_proj_m = r.register_module("text_proj_m", nn::Linear(c.text.hidden, c.embed_dim));
  attach_kv_adapters(c.petl, c.text, text_encoder, registry_);
  attach_kv_adapters(c.petl, c.text, text_encoder_m, registry_);
  if (c.petl.uses_uniadapter()) {
    attach_uniadapters(r, "adapters", "visual_adapters", c.petl, c, PetlHosts{visual_encoder, {text_encoder}}, registry_);
    attach_uniadapters(r, "adapters_m", "visual_adapters_m", c.petl, c, PetlHosts{visual_encoder_m, {text_encoder_m}}, registry_);
  } else {
    attach_baselines(c.petl, PetlHosts{visual_encoder, {text_encoder}}, registry_);
    attach_baselines(c.petl, PetlHosts{visual_encoder_m, {text_encoder_m}}, registry_);
  }
  registry_.declare(*visual_encoder, "vision", ParamRole::Backbone);
  registry_.declare(*text_encoder, "textEncoder", ParamRole::Backbone);
  for (const nn::Module* head : std::initializer_list<const nn::Module*>{vision_proj.get(), text_proj.get(), itm_head.get()})
    registry_.declare(*head, "heads", ParamRole::Head);
  registry_.declare_parameter("temp", "temperature", ParamRole::Temperature);
  // The momentum encoders (BLIP_Retrieval's *_m), with whatever PETL modules they hold.
  for (const nn::Module* m : std::initializer_list<const nn::Module*>{visual_encoder_m.get(), text_encoder_m.get(), vision_proj_m.get(), text_proj_m.get()})
    registry_.declare(*m, "momentum", ParamRole::Momentum);
  registry_.declare_child(r, "adapters_m", "momentum", ParamRole::Momentum);
  registry_.declare_child(r, "visual_adapters_m", "momentum", ParamRole::Momentum);
  image_queue = r.register_buffer("image_queue", torch::randn({c.embed_dim, c.queue_size}));
  text_queue = r.register_buffer("text_queue", torch::randn({c.embed_dim, c.queue_size}));
  idx_queue = r.register_buffer("idx_queue", torch::full({1, c.queue_size}, -100, at::kLong));
  ptr_queue = r.register_buffer("ptr_queue", torch::zeros({1}, at::kLong));
}

void RetrievalModel::finish_construction() {
  finalize();
  if (cfg_.momentum_shares_backbone) {
    torch::NoGradGuard g;
    // The frozen backbone tensors only: PETL modules and whatever trains keep their own momentum copies.
    auto share = [&](const std::string& prefix, nn::Module& main, nn::Module& mom) {
      auto b = mom.named_parameters();
      for (const auto& kv : main.named_parameters()) {
        if (kv.value().requires_grad() || is_petl(prefix + kv.key())) continue;
        b[kv.key()].set_data(kv.value().data());
      }
    };
    share("visual_encoder.", *visual_encoder, *visual_encoder_m);
    share("text_encoder.", *text_encoder, *text_encoder_m);
  }
}

void RetrievalModel::apply_initial_values() {
  torch::NoGradGuard g;
  init_backbone(*visual_encoder, cfg_.backbone_init);
  init_vit_tokens(visual_encoder->cls_token, visual_encoder->pos_embed, cfg_.pos_embed_init, cfg_.vision.grid());
  init_backbone(*text_encoder, cfg_.backbone_init);
  auto adapters = uniadapters_of(*root_, "adapters");
  auto vadapters = uniadapters_of(*root_, "visual_adapters");
  for (auto& a : adapters) init_transformer_weights(*a);
  for (auto& a : vadapters) init_transformer_weights(*a);
  // Momentum modules start as copies of the main ones (BLIP_Retrieval.copy_params), before the
  // training script re-initialises the main adapters.
  copy_params(*visual_encoder, *visual_encoder_m);
  copy_params(*text_encoder, *text_encoder_m);
  copy_params(*vision_proj, *vision_proj_m);
  copy_params(*text_proj, *text_proj_m);
  auto adapters_m = uniadapters_of(*root_, "adapters_m");
  auto vadapters_m = uniadapters_of(*root_, "visual_adapters_m");
  for (size_t i = 0; i < adapters.size(); ++i) copy_params(*adapters[i], *adapters_m[i]);
  for (size_t i = 0; i < vadapters.size(); ++i) copy_params(*vadapters[i], *vadapters_m[i]);
  for (auto& a : adapters) apply_adapter_init(*a, cfg_.petl.init);
  for (auto& a : vadapters) apply_adapter_init(*a, cfg_.petl.init);
  image_queue.copy_(l2_normalize(image_queue.t()).t());
  text_queue.copy_(l2_normalize(text_queue.t()).t());
}

void RetrievalModel::after_load(const std::vector<std::string>& loaded) {
  // Momentum modules missing from the checkpoint start as copies of the loaded main modules
  // (the official loader would leave them at their random initial values).
  std::set<std::string> have(loaded.begin(), loaded.end());
  auto main = root_->named_parameters();
  torch::NoGradGuard g;
  const std::pair<const char*, const char*> pairs[] = {{"visual_encoder_m.", "visual_encoder."},
                                                       {"text_encoder_m.", "text_encoder."},
                                                       {"vision_proj_m.", "vision_proj."},
                                                       {"text_proj_m.", "text_proj."}};
  for (auto& kv : root_->named_parameters()) {
    const std::string& n = kv.key();
    if (!is_momentum(n) || have.count(n)) continue;
    for (const auto& p : pairs) {
      if (!starts_with(n, p.first)) continue;
      const std::string src = std::string(p.second) + n.substr(std::strlen(p.first));
      if (have.count(src) && kv.value().data_ptr() != main[src].data_ptr()) kv.value().copy_(main[src]);
    }
  }
}

torch::Tensor RetrievalModel::as_video(const torch::Tensor& px) const {
  if (px.dim() == 4) return px.unsqueeze(1);
  check(px.dim() == 5, kErrShape, "pixels must be [batch, 3, S, S] (images) or [batch, frames, 3, S, S] (videos), got " + shape_str(px));
  return px;
}

RetrievalModel::ImageEmbeds RetrievalModel::embed_images(const torch::Tensor& px, bool momentum) {
  const int64_t B = px.size(0), T = px.size(1);
  auto& vit = momentum ? visual_encoder_m : visual_encoder;
  auto& proj = momentum ? vision_proj_m : vision_proj;
  torch::Tensor tok = vit->forward(px.reshape({B * T, px.size(2), px.size(3), px.size(4)}));
  ImageEmbeds e;
  e.tokens = tok.reshape({B, T, tok.size(1), tok.size(2)});
  torch::Tensor cls = e.tokens.select(2, 0);
  e.cls_mean = cls.mean(1);
  e.proj_raw = proj->forward(e.cls_mean);
  e.feat = l2_normalize(e.proj_raw);
  if (!momentum) e.frame_feat = l2_normalize(proj->forward(cls));
  return e;
}

RetrievalModel::TextEmbeds RetrievalModel::embed_texts(const torch::Tensor& ids, const torch::Tensor& mask, bool momentum) {
  auto& enc = momentum ? text_encoder_m : text_encoder;
  auto& proj = momentum ? text_proj_m : text_proj;
  TextEmbeds t;
  t.hidden = enc->forward(ids, mask, TextMode::Text, false, nullptr);
  t.proj_raw = proj->forward(t.hidden.select(1, 0));
  t.feat = l2_normalize(t.proj_raw);
  return t;
}

torch::Tensor RetrievalModel::pfa_weights(const torch::Tensor& sim_t2f) const {
  torch::NoGradGuard g;
  const int64_t T = sim_t2f.size(1);
  return torch::softmax(sim_t2f.detach() / 4.0, 1) * T;
}

torch::Tensor RetrievalModel::paper_frame_scaled(const torch::Tensor& tokens, const torch::Tensor& text_cls) const {
  const int64_t P = tokens.size(0), T = tokens.size(1), N = tokens.size(2), D = tokens.size(3);
  check(text_cls.dim() == 2 && text_cls.size(0) == P && text_cls.size(1) == D, kErrShape,
        "paper PFA needs one text CLS feature [" + std::to_string(P) + ", " + std::to_string(D) + "] per pair, got " +
            shape_str(text_cls));
  torch::Tensor frame_cls = tokens.select(2, 0);                                        // [P, T, D]
  torch::Tensor a = torch::softmax((frame_cls * text_cls.unsqueeze(1)).sum(-1), 1);     // [P, T]
  torch::Tensor patches = tokens.slice(2, 1) * a.view({P, T, 1, 1}).to(tokens.dtype());
  return torch::cat({tokens.slice(2, 0, 1), patches}, 2).reshape({P, T * N, D});
}

torch::Tensor RetrievalModel::itm_hidden(const torch::Tensor& enc_ids, const torch::Tensor& mask,
                                         const torch::Tensor& memory, const torch::Tensor& frame_weights) {
  CrossContext ctx;
  ctx.states = memory;
  ctx.pfa_weights = frame_weights;
  return text_encoder->forward(enc_ids, mask, TextMode::Multimodal, false, &ctx);
}

Result RetrievalModel::encode_image(const TensorMap& in, const Options& o) {
  torch::InferenceMode guard(!o.get_bool("grad", false));
  AutocastScope amp(device_, autocast_dtype(), autocast_enabled());
  auto e = embed_images(as_video(pixels(in, "pixels")), o.get_bool("momentum", false));
  Result r;
  if (o.get_bool("tokens", true)) r.tensors.emplace_back("vit_last_hidden", e.tokens);
  r.tensors.emplace_back("cls_mean", e.cls_mean);
  r.tensors.emplace_back("image_proj_raw", e.proj_raw);
  r.tensors.emplace_back("image_feat", e.feat);
  if (e.frame_feat.defined()) r.tensors.emplace_back("frame_feat", e.frame_feat);
  return r;
}

Result RetrievalModel::encode_text(const TensorMap& in, const Options& o) {
  torch::InferenceMode guard(true);
  AutocastScope amp(device_, autocast_dtype(), autocast_enabled());
  auto t = embed_texts(ids_input(in, "input_ids"), ids_input(in, "attention_mask"), o.get_bool("momentum", false));
  Result r;
  if (o.get_bool("hidden", true)) r.tensors.emplace_back("text_last_hidden", t.hidden);
  r.tensors.emplace_back("text_proj_raw", t.proj_raw);
  r.tensors.emplace_back("text_feat", t.feat);
  return r;
}

/**
 * Whether a pass per candidate (its cross-attention keys and values computed once for all its texts)
 * beats one batched pass over P pairs. Sharing saves the K/V products of P − G pairs, about
 * (P − G) · N · D² multiply-adds a layer; each extra pass costs a fixed overhead a layer, measured at
 * 1.5–2.5 ms on 2 CPU cores (≈ 2.5e7 multiply-adds at their rate). At BLIP-base sizes (N = 577,
 * D = 768) sharing wins as soon as a fifth of the pairs share; at tiny sizes it never does.
 */
static bool share_candidates(int64_t P, int64_t G, int64_t N, int64_t D) {
  constexpr double kPassOverheadMacs = 2.5e7;
  return static_cast<double>(P - G) * static_cast<double>(N) * static_cast<double>(D) * static_cast<double>(D) > kPassOverheadMacs * static_cast<double>(G);
}

Result RetrievalModel::itm(const TensorMap& in, const Options& o) {
  torch::InferenceMode guard(true);
  AutocastScope amp(device_, autocast_dtype(), autocast_enabled());
  torch::Tensor ids = ids_input(in, "input_ids"), mask = ids_input(in, "attention_mask");
  check(ids.sizes() == mask.sizes(), kErrShape, "'input_ids' and 'attention_mask' must have the same shape");
  if (o.get_bool("replaceFirstToken", true)) ids = with_first_token(ids, cfg_.enc_token_id);
  torch::Tensor tokens = on_device(require_tensor(in, "image_tokens"));
  check(tokens.scalar_type() == at::kFloat || tokens.scalar_type() == at::kBFloat16 || tokens.scalar_type() == at::kHalf,
        kErrDtype, "'image_tokens' must be floating point");
  if (tokens.dim() == 3) tokens = tokens.unsqueeze(1);
  check(tokens.dim() == 4 && tokens.size(3) == cfg_.vision.width, kErrShape,
        "'image_tokens' must be [candidates, (frames,) tokens, " + std::to_string(cfg_.vision.width) + "], got " +
            shape_str(tokens));
  const int64_t G = tokens.size(0), T = tokens.size(1), N = tokens.size(2), P = ids.size(0);
  auto pair_opt = find_tensor(in, "pair_image");
  torch::Tensor pair = pair_opt ? pair_opt->to(at::kLong).to(device_) : torch::arange(P, ids.options());
  check(pair.dim() == 1 && pair.size(0) == P, kErrShape, "'pair_image' must have one entry per text row");
  if (!pair_opt) check(G == P, kErrShape, "without 'pair_image', 'image_tokens' needs one entry per text row");
  if (P > 0) {
    check(pair.min().item<int64_t>() >= 0 && pair.max().item<int64_t>() < G, kErrArg,
          "'pair_image' indexes outside the " + std::to_string(G) + " candidates");
  }
  const bool pfa = o.get_bool("pfa", cfg_.petl.pfa != PfaMode::Off) && cfg_.petl.pfa != PfaMode::Off && T > 1;
  const bool paper = pfa && cfg_.petl.pfa == PfaMode::Paper;
  torch::Tensor weights;
  torch::Tensor memory = tokens.reshape({G, T * N, tokens.size(3)});
  if (pfa && !paper) {
    torch::Tensor tf = on_device(require_tensor(in, "text_feat"));
    torch::Tensor ff = on_device(require_tensor(in, "frame_feat"));
    check(ff.dim() == 3 && ff.size(0) == G && ff.size(1) == T, kErrShape, "'frame_feat' must be [candidates, frames, E]");
    check(tf.dim() == 2 && tf.size(0) == P && tf.size(1) == ff.size(2), kErrShape,
          "'text_feat' must be [texts, " + std::to_string(ff.size(2)) + "], got " + shape_str(tf));
    torch::Tensor sim = (tf.unsqueeze(1) * ff.index_select(0, pair)).sum(-1);
    weights = pfa_weights(sim);
  }
  if (paper) {
    // The paper's frame weights need each text's unimodal CLS state: given as 'text_cls', or
    // computed here from the [CLS] ids before the first token becomes [ENC].
    auto given = find_tensor(in, "text_cls");
    torch::Tensor cls;
    if (given) {
      cls = on_device(*given);
    } else {
      check(o.get_bool("replaceFirstToken", true), kErrArg,
            "paper PFA needs 'text_cls' (the text encoder's CLS state per text) when replaceFirstToken is false");
      cls = text_encoder->forward(ids_input(in, "input_ids"), mask, TextMode::Text, false, nullptr).select(1, 0);
    }
    memory = paper_frame_scaled(tokens.index_select(0, pair), cls.to(tokens.dtype()));
  }
  torch::Tensor hidden;
  std::map<int64_t, std::vector<int64_t>> groups;
  if (pair_opt && !paper) {
    auto pair_cpu = pair.cpu();
    const int64_t* pp = pair_cpu.data_ptr<int64_t>();
    for (int64_t p = 0; p < P; ++p) groups[pp[p]].push_back(p);
  }
  if (!pair_opt || paper) {
    hidden = itm_hidden(ids, mask, memory, weights);
  } else if (!share_candidates(P, static_cast<int64_t>(groups.size()), memory.size(1), cfg_.text.hidden)) {
    // One batched pass over each pair's own copy of its candidate.
    hidden = itm_hidden(ids, mask, memory.index_select(0, pair), weights);
  } else {
    // One pass per candidate: its keys and values are computed once and shared by all its texts.
    hidden = torch::empty({P, ids.size(1), cfg_.text.hidden}, memory.options());
    for (const auto& kv : groups) {
      torch::Tensor rows = torch::tensor(kv.second, at::kLong).to(device_);
      torch::Tensor w = weights.defined() ? weights.index_select(0, rows) : torch::Tensor();
      torch::Tensor h = itm_hidden(ids.index_select(0, rows), mask.index_select(0, rows),
                                   memory.slice(0, kv.first, kv.first + 1), w);
      hidden.index_copy_(0, rows, h.to(hidden.dtype()));
    }
  }
  Result r;
  if (o.get_bool("hidden", false)) r.tensors.emplace_back("mm_last_hidden", hidden);
  r.tensors.emplace_back("itm_logits", itm_head->forward(hidden.select(1, 0)).to(at::kFloat));
  return r;
}

void RetrievalModel::momentum_update() {
  torch::NoGradGuard g;
  const double m = cfg_.momentum;
  // The official loop visits the adapters twice per step (they belong to the ViT and to the text
  // encoder); the single update is the corrected option.
  const int adapter_times = cfg_.momentum_update == MomentumUpdate::Official ? 2 : 1;
  auto adapters = uniadapters_of(*root_, "adapters");
  auto adapters_m = uniadapters_of(*root_, "adapters_m");
  ema(*visual_encoder, *visual_encoder_m, m, 1);
  ema(*vision_proj, *vision_proj_m, m, 1);
  ema(*text_encoder, *text_encoder_m, m, 1);
  ema(*text_proj, *text_proj_m, m, 1);
  for (size_t i = 0; i < adapters.size(); ++i) ema(*adapters[i], *adapters_m[i], m, adapter_times);
  auto v = uniadapters_of(*root_, "visual_adapters");
  auto vm = uniadapters_of(*root_, "visual_adapters_m");
  for (size_t i = 0; i < v.size(); ++i) ema(*v[i], *vm[i], m, 1);
}

void RetrievalModel::dequeue_and_enqueue(const torch::Tensor& image_feat_m, const torch::Tensor& text_feat_m,
                                         const torch::Tensor& idxs) {
  torch::NoGradGuard g;
  torch::Tensor image_feats = dist_.all_gather(image_feat_m);
  torch::Tensor text_feats = dist_.all_gather(text_feat_m);
  const int64_t G = image_feats.size(0), Q = cfg_.queue_size;
  check(Q % G == 0, kErrConfig,
        "queueSize (" + std::to_string(Q) + ") must be a multiple of the global batch size (" + std::to_string(G) + ")");
  const int64_t ptr = ptr_queue[0].item<int64_t>();
  image_queue.slice(1, ptr, ptr + G).copy_(image_feats.t());
  text_queue.slice(1, ptr, ptr + G).copy_(text_feats.t());
  idx_queue.slice(1, ptr, ptr + G).copy_(idxs.t());
  ptr_queue[0] = (ptr + G) % Q;
}

Result RetrievalModel::train_step(const TensorMap& in, const Options& o) {
  Result out;
  Capture cap{o.get_bool("capture", false), out};
  root_->train(o.get_bool("train", true));
  torch::Tensor idx = on_device(require_tensor(in, "idx").to(at::kLong)).view({-1, 1});
  ItcItmLosses l = itc_itm_losses(in, o, idx, out);
  torch::Tensor loss = l.ita + l.itm;
  cap("loss", loss);
  Options stats;
  if (o.get_bool("backward", true)) stats = backward_and_step(loss, o);
  stats.set("loss", loss.item<double>());
  stats.set("lossIta", l.ita.item<double>());
  stats.set("lossItm", l.itm.item<double>());
  stats.set("temp", temp.item<double>());
  out.info = stats;
  return out;
}

RetrievalModel::ItcItmLosses RetrievalModel::itc_itm_losses(const TensorMap& in, const Options& o, const torch::Tensor& idx,
                                                           Result& out) {
  Capture cap{o.get_bool("capture", false), out};
  torch::Tensor px = as_video(pixels(in, "pixels"));
  torch::Tensor ids = ids_input(in, "input_ids"), mask = ids_input(in, "attention_mask");
  const int64_t B = px.size(0), T = px.size(1);
  check(ids.size(0) == B && mask.sizes() == ids.sizes() && idx.size(0) == B, kErrShape,
        "train_step: pixels, input_ids, attention_mask and idx must have the same batch size");
  check(B >= 2, kErrArg, "train_step needs a batch of at least 2 pairs (hard negatives come from the batch)");
  const double alpha = o.get_double("alpha", 0.4);
  const std::string negatives = o.get_string("hardNegatives", "sample");
  check(negatives == "sample" || negatives == "argmax", kErrArg, "hardNegatives must be 'sample' or 'argmax'");
  const bool pfa = cfg_.petl.pfa != PfaMode::Off && o.get_bool("pfa", T > 1) && T > 1;
  const bool paper = cfg_.petl.pfa == PfaMode::Paper;

  torch::Tensor loss_ita, loss_itm, image_memory;
  {
    AutocastScope amp(device_, autocast_dtype(), autocast_enabled());
    {
      torch::NoGradGuard g;
      temp.clamp_(0.001, 0.5);
    }
    auto img = embed_images(px, false);
    cap("vit_last_hidden", img.tokens.flatten(0, 1));
    auto txt = embed_texts(ids, mask, false);
    cap("text_last_hidden", txt.hidden);
    cap("image_feat", img.feat);
    cap("frame_feat", img.frame_feat);
    cap("text_feat", txt.feat);

    torch::Tensor idx_all = torch::cat({idx.t(), idx_queue.clone()}, 1);
    torch::Tensor pos_idx = torch::eq(idx, idx_all).to(at::kFloat);
    torch::Tensor sim_targets = pos_idx / pos_idx.sum(1, true);
    cap("sim_targets", sim_targets);

    torch::Tensor image_feat_m_all, text_feat_m_all, sim_i2t_targets, sim_t2i_targets, image_feat_m, text_feat_m;
    {
      torch::NoGradGuard g;
      momentum_update();
      auto img_m = embed_images(px, true);
      auto txt_m = embed_texts(ids, mask, true);
      cap("vit_last_hidden_m", img_m.tokens.flatten(0, 1));
      cap("text_last_hidden_m", txt_m.hidden);
      // fp32 like the queues they join (under autocast the projections come out in bf16/fp16).
      image_feat_m = img_m.feat.to(at::kFloat);
      text_feat_m = txt_m.feat.to(at::kFloat);
      image_feat_m_all = torch::cat({image_feat_m.t(), image_queue.clone()}, 1);
      text_feat_m_all = torch::cat({text_feat_m.t(), text_queue.clone()}, 1);
      torch::Tensor sim_i2t_m = torch::matmul(image_feat_m, text_feat_m_all) / temp;
      torch::Tensor sim_t2i_m = torch::matmul(text_feat_m, image_feat_m_all) / temp;
      sim_i2t_targets = alpha * torch::softmax(sim_i2t_m, 1) + (1 - alpha) * sim_targets;
      sim_t2i_targets = alpha * torch::softmax(sim_t2i_m, 1) + (1 - alpha) * sim_targets;
    }
    cap("image_feat_m", image_feat_m);
    cap("text_feat_m", text_feat_m);
    cap("sim_i2t_targets", sim_i2t_targets);
    cap("sim_t2i_targets", sim_t2i_targets);
    torch::Tensor sim_i2t = torch::matmul(img.feat, text_feat_m_all) / temp;
    torch::Tensor sim_t2i = torch::matmul(txt.feat, image_feat_m_all) / temp;
    cap("sim_i2t", sim_i2t);
    cap("sim_t2i", sim_t2i);
    torch::Tensor sim_t2f = torch::einsum("bc,btc->bt", {txt.feat, img.frame_feat});
    torch::Tensor loss_i2t = -torch::sum(torch::log_softmax(sim_i2t, 1) * sim_i2t_targets, 1).mean();
    torch::Tensor loss_t2i = -torch::sum(torch::log_softmax(sim_t2i, 1) * sim_t2i_targets, 1).mean();
    loss_ita = (loss_i2t + loss_t2i) / 2;

    torch::Tensor idxs = dist_.all_gather(idx);
    dequeue_and_enqueue(image_feat_m, text_feat_m, idxs);

    torch::Tensor image_embeds = img.tokens.reshape({B, -1, img.tokens.size(3)});
    torch::Tensor text_cls = txt.hidden.select(1, 0);
    torch::Tensor enc_ids = with_first_token(ids, cfg_.enc_token_id);
    cap("itm_pos_input_ids", enc_ids);
    torch::Tensor out_pos;
    if (pfa && paper) {
      torch::Tensor scaled = paper_frame_scaled(img.tokens, text_cls);
      cap("itm_pos_encoder_hidden_states", scaled);
      out_pos = itm_hidden(enc_ids, mask, scaled, torch::Tensor());
    } else {
      cap("itm_pos_encoder_hidden_states", image_embeds);
      if (pfa) cap("itm_pos_frame_weight", sim_t2f);
      out_pos = itm_hidden(enc_ids, mask, image_embeds, pfa ? pfa_weights(sim_t2f) : torch::Tensor());
    }
    cap("itm_pos_last_hidden", out_pos);

    // Hard negatives come from the batches of all ranks (negative_all_rank: true) or from the local
    // batch only (false), as the two branches of the official forward.
    const bool all_rank = cfg_.negative_all_rank;
    auto gather = [&](const torch::Tensor& t) { return all_rank ? dist_.all_gather(t) : t; };
    torch::Tensor weights_i2t, weights_t2i, text_feat_pool, frame_feat_pool, text_cls_pool;
    {
      torch::NoGradGuard g;
      torch::Tensor same = torch::eq(idx, (all_rank ? idxs : idx).t());
      torch::Tensor image_feat_pool = gather(img.feat);
      text_feat_pool = gather(txt.feat);
      if (pfa && !paper) frame_feat_pool = gather(img.frame_feat);
      weights_i2t = torch::softmax(torch::matmul(img.feat, text_feat_pool.t()) / temp, 1).masked_fill_(same, 0);
      weights_t2i = torch::softmax(torch::matmul(txt.feat, image_feat_pool.t()) / temp, 1).masked_fill_(same, 0);
    }
    if (pfa && paper) text_cls_pool = all_rank ? dist_.all_gather_with_grad(text_cls) : text_cls;
    cap("weights_i2t", weights_i2t);
    cap("weights_t2i", weights_t2i);
    auto choose = [&](const torch::Tensor& w, const char* what) {
      torch::Tensor rows = w.to(at::kFloat).sum(1);
      check((rows > 0).all().item<bool>(), kErrArg,
            std::string("hard-negative sampling found no negative ") + what +
                " for some row: every candidate has the same image id; a batch needs at least two different images");
      if (negatives == "argmax") return w.argmax(1);
      std::vector<torch::Tensor> picks;
      for (int64_t b = 0; b < w.size(0); ++b) picks.push_back(torch::multinomial(w[b], 1));
      return torch::cat(picks, 0);
    };
    torch::Tensor neg_img = choose(weights_t2i, "image");
    torch::Tensor image_tokens_pool = all_rank ? dist_.all_gather_with_grad(img.tokens) : img.tokens;
    torch::Tensor image_tokens_neg = image_tokens_pool.index_select(0, neg_img);
    torch::Tensor input_ids_pool = gather(enc_ids);
    torch::Tensor att_mask_pool = gather(mask);
    torch::Tensor neg_txt = choose(weights_i2t, "text");
    cap("neg_image_idx_for_text", neg_img);
    cap("neg_text_idx_for_image", neg_txt);
    torch::Tensor text_ids_all = torch::cat({enc_ids, input_ids_pool.index_select(0, neg_txt)}, 0);
    torch::Tensor text_atts_all = torch::cat({mask, att_mask_pool.index_select(0, neg_txt)}, 0);
    torch::Tensor image_tokens_all = torch::cat({image_tokens_neg, img.tokens}, 0);  // [2B, T, N, D]
    torch::Tensor image_embeds_all, neg_weights;
    if (pfa && paper) {
      torch::Tensor cls_all = torch::cat({text_cls, text_cls_pool.index_select(0, neg_txt)}, 0);
      image_embeds_all = paper_frame_scaled(image_tokens_all, cls_all);
    } else {
      image_embeds_all = image_tokens_all.reshape({2 * B, -1, img.tokens.size(3)});
      if (pfa) {
        torch::Tensor frame_feats_all = torch::cat({frame_feat_pool.index_select(0, neg_img), img.frame_feat}, 0);
        torch::Tensor text_feats_all = torch::cat({txt.feat, text_feat_pool.index_select(0, neg_txt)}, 0);
        torch::Tensor sim_neg = torch::einsum("bc,btc->bt", {text_feats_all, frame_feats_all});
        cap("itm_neg_frame_weight", sim_neg);
        neg_weights = pfa_weights(sim_neg);
      }
    }
    cap("itm_neg_input_ids", text_ids_all);
    cap("itm_neg_attention_mask", text_atts_all);
    cap("itm_neg_encoder_hidden_states", image_embeds_all);
    torch::Tensor out_neg = itm_hidden(text_ids_all, text_atts_all, image_embeds_all, neg_weights);
    cap("itm_neg_last_hidden", out_neg);
    torch::Tensor vl = torch::cat({out_pos.select(1, 0), out_neg.select(1, 0)}, 0);
    torch::Tensor vl_output = itm_head->forward(vl);
    cap("vl_output", vl_output);
    torch::Tensor labels = torch::cat({torch::ones({B}, at::kLong), torch::zeros({2 * B}, at::kLong)}).to(device_);
    loss_itm = torch::cross_entropy_loss(vl_output.to(at::kFloat), labels);
    image_memory = image_embeds;
  }
  cap("loss_ita", loss_ita);
  cap("loss_itm", loss_itm);
  return ItcItmLosses{loss_ita, loss_itm, image_memory, ids, mask};
}

bool RetrievalModel::run_task(const std::string& op, const TensorMap& in, const Options& o, Result& out) {
  const bool inference = op == "encode_image" || op == "encode_text" || op == "itm" || op == "similarity";
  if (inference) root_->train(false);
  if (op == "encode_image") out = encode_image(in, o);
  else if (op == "encode_text") out = encode_text(in, o);
  else if (op == "itm") out = itm(in, o);
  else if (op == "train_step") out = train_step(in, o);
  else if (op == "similarity") {
    // ITC cosine similarities a @ b^T of normalised features (no temperature), as the evaluation uses.
    torch::InferenceMode guard(true);
    torch::Tensor a = on_device(require_tensor(in, "a")).to(at::kFloat), b = on_device(require_tensor(in, "b")).to(at::kFloat);
    check(a.dim() == 2 && b.dim() == 2 && a.size(1) == b.size(1), kErrShape, "similarity needs [n, E] and [m, E] features");
    out.tensors.emplace_back("sims", torch::matmul(a, b.t()));
  }
  else
    return false;
  return true;
}

}  // namespace ua
