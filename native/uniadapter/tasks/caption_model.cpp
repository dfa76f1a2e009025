#include "uniadapter/tasks/caption_model.h"

#include "uniadapter/train/amp.h"
#include "uniadapter/tasks/decoder_runner.h"
#include "uniadapter/runtime/error.h"
#include "uniadapter/tasks/generation.h"
#include "uniadapter/tasks/lm_loss.h"
#include "uniadapter/petl/petl_wiring.h"
#include "uniadapter/runtime/tensor_util.h"
#include "uniadapter/nn/weight_init.h"

namespace ua {

CaptionModel::CaptionModel(const TaskConfig& c) : TaskModel(c) {
  auto& r = *root_;
  visual_encoder = r.register_module("visual_encoder", VisionTransformer(c.vision));
  text_decoder = r.register_module("text_decoder", BertLMHeadModel(c.decoder));
  attach_kv_adapters(c.petl, c.decoder, text_decoder->bert, registry_);
  if (c.petl.uses_uniadapter())
    attach_uniadapters(r, "adapters", "visual_adapters", c.petl, c, PetlHosts{visual_encoder, {text_decoder->bert}}, registry_);
  else
    attach_baselines(c.petl, PetlHosts{visual_encoder, {text_decoder->bert}}, registry_);
  registry_.declare(*visual_encoder, "vision", ParamRole::Backbone);
  registry_.declare(*text_decoder, "textDecoder", ParamRole::Backbone);
  registry_.declare(*text_decoder->cls, "heads", ParamRole::Head);
  finalize();
}

void CaptionModel::apply_initial_values() {
  torch::NoGradGuard g;
  init_backbone(*visual_encoder, cfg_.backbone_init);
  init_vit_tokens(visual_encoder->cls_token, visual_encoder->pos_embed, cfg_.pos_embed_init, cfg_.vision.grid());
  init_backbone(*text_decoder, cfg_.backbone_init);
  for (const char* list : {"adapters", "visual_adapters"}) {
    for (auto& a : uniadapters_of(*root_, list)) {
      init_transformer_weights(*a);
      apply_adapter_init(*a, cfg_.petl.init);
    }
  }
}

Result CaptionModel::forward(const TensorMap& in, const Options& o, bool training) {
  Result out;
  const bool capture = o.get_bool("capture", false);
  auto cap = [&](const std::string& n, const torch::Tensor& t) {
    if (capture) out.tensors.emplace_back(n, t.detach());
  };
  torch::Tensor ids = ids_input(in, "caption_input_ids"), mask = ids_input(in, "caption_attention_mask");
  check(ids.sizes() == mask.sizes(), kErrShape, "'caption_input_ids' and 'caption_attention_mask' must have the same shape");
  if (o.get_bool("replaceFirstToken", true)) ids = with_first_token(ids, cfg_.bos_token_id);
  const int64_t prompt_length = o.get_int("promptLength", 0);
  torch::Tensor loss;
  {
    AutocastScope amp(device_, autocast_dtype(), autocast_enabled());
    torch::Tensor image = visual_encoder->forward(pixels(in, "pixels"));
    cap("vit_last_hidden", image);
    torch::Tensor targets = lm_targets(ids, cfg_.pad_token_id, prompt_length);
    cap("decoder_targets", targets);
    CrossContext ctx;
    ctx.states = image;
    torch::Tensor h = text_decoder->bert->forward(ids, mask, TextMode::Multimodal, true, &ctx);
    if (capture) cap("decoder_logits", text_decoder->logits(h));
    loss = lm_loss_mean(*text_decoder, h, targets, cfg_.label_smoothing);
  }
  cap("loss_lm", loss);
  Options stats;
  if (training && o.get_bool("backward", true)) stats = backward_and_step(loss, o);
  stats.set("loss", loss.item<double>());
  out.info = stats;
  return out;
}

Result CaptionModel::generate(const TensorMap& in, const Options& o) {
  torch::InferenceMode guard(true);
  AutocastScope amp(device_, autocast_dtype(), autocast_enabled());
  torch::Tensor prompt = ids_input(in, "prompt_input_ids");
  const GenerationSettings s = generation_settings(o);
  torch::Tensor image = visual_encoder->forward(pixels(in, "pixels"));
  const int64_t B = image.size(0);
  if (prompt.size(0) == 1 && B > 1) prompt = prompt.repeat({B, 1});
  check(prompt.size(0) == B, kErrShape, "'prompt_input_ids' must have one row (shared) or one row per image");
  Result out;
  if (o.get_bool("tokens", false)) out.tensors.emplace_back("vit_last_hidden", image);
  torch::Tensor memory = torch::repeat_interleave(image, s.num_beams, 0);
  DecoderRunner runner(text_decoder, memory, torch::Tensor());
  GenerationOutput g;
  if (s.num_beams == 1) {
    g = greedy_search(runner.step_fn(), prompt, s, o.get_bool("capture", false));
  } else {
    g = beam_search(runner.step_fn(), runner.reorder_fn(), torch::repeat_interleave(prompt, s.num_beams, 0), s);
  }
  append_generation(g, out);
  return out;
}

bool CaptionModel::run_task(const std::string& op, const TensorMap& in, const Options& o, Result& out) {
  return run_lm_op(op, in, o, out);
}

}  // namespace ua
