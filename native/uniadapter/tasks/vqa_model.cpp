#include "uniadapter/tasks/vqa_model.h"

#include "uniadapter/train/amp.h"
#include "uniadapter/tasks/decoder_runner.h"
#include "uniadapter/runtime/error.h"
#include "uniadapter/tasks/generation.h"
#include "uniadapter/tasks/lm_loss.h"
#include "uniadapter/petl/petl_wiring.h"
#include "uniadapter/runtime/tensor_util.h"
#include "uniadapter/nn/weight_init.h"

namespace ua {

VqaModel::VqaModel(const TaskConfig& c) : TaskModel(c) {
  auto& r = *root_;
  visual_encoder = r.register_module("visual_encoder", VisionTransformer(c.vision));
  text_encoder = r.register_module("text_encoder", BertModel(c.text));
  text_decoder = r.register_module("text_decoder", BertLMHeadModel(c.decoder));
  attach_kv_adapters(c.petl, c.text, text_encoder, registry_);
  attach_kv_adapters(c.petl, c.decoder, text_decoder->bert, registry_);
  if (c.petl.uses_uniadapter())
    attach_uniadapters(r, "adapters", "visual_adapters", c.petl, c, PetlHosts{visual_encoder, {text_encoder, text_decoder->bert}}, registry_);
  else
    attach_baselines(c.petl, PetlHosts{visual_encoder, {text_encoder, text_decoder->bert}}, registry_);
  registry_.declare(*visual_encoder, "vision", ParamRole::Backbone);
  registry_.declare(*text_encoder, "textEncoder", ParamRole::Backbone);
  registry_.declare(*text_decoder, "textDecoder", ParamRole::Backbone);
  registry_.declare(*text_decoder->cls, "heads", ParamRole::Head);
  finalize();
}

void VqaModel::apply_initial_values() {
  torch::NoGradGuard g;
  init_backbone(*visual_encoder, cfg_.backbone_init);
  init_vit_tokens(visual_encoder->cls_token, visual_encoder->pos_embed, cfg_.pos_embed_init, cfg_.vision.grid());
  init_backbone(*text_encoder, cfg_.backbone_init);
  init_backbone(*text_decoder, cfg_.backbone_init);
  for (const char* list : {"adapters", "visual_adapters"}) {
    for (auto& a : uniadapters_of(*root_, list)) {
      init_transformer_weights(*a);
      apply_adapter_init(*a, cfg_.petl.init);
    }
  }
}


torch::Tensor VqaModel::encode_visual(const torch::Tensor& px) {
  if (px.dim() == 4) return visual_encoder->forward(px);
  check(px.dim() == 5, kErrShape, "pixels must be [batch, 3, S, S] or [batch, frames, 3, S, S], got " + shape_str(px));
  const int64_t B = px.size(0), T = px.size(1);
  torch::Tensor tok = visual_encoder->forward(px.reshape({B * T, px.size(2), px.size(3), px.size(4)}));
  return tok.reshape({B, T * tok.size(1), tok.size(2)});
}

torch::Tensor VqaModel::encode_question(const torch::Tensor& visual, const torch::Tensor& q_ids, const torch::Tensor& q_mask) {
  CrossContext ctx;
  ctx.states = visual;
  return text_encoder->forward(q_ids, q_mask, TextMode::Multimodal, false, &ctx);
}

torch::Tensor VqaModel::decode_hidden(const torch::Tensor& ids, const torch::Tensor& mask, const torch::Tensor& states,
                                      const torch::Tensor& states_mask) {
  CrossContext ctx;
  ctx.states = states;
  if (states_mask.defined()) ctx.mask_add = cross_attention_mask(states_mask, states.scalar_type());
  return text_decoder->bert->forward(ids, mask, TextMode::Multimodal, /*causal=*/true, &ctx);
}

Result VqaModel::forward(const TensorMap& in, const Options& o, bool training) {
  Result out;
  const bool capture = o.get_bool("capture", false);
  auto cap = [&](const std::string& n, const torch::Tensor& t) {
    if (capture) out.tensors.emplace_back(n, t.detach());
  };
  const bool replace = o.get_bool("replaceFirstToken", true);
  torch::Tensor q_ids = ids_input(in, "question_input_ids"), q_mask = ids_input(in, "question_attention_mask");
  torch::Tensor a_ids = ids_input(in, "answer_input_ids"), a_mask = ids_input(in, "answer_attention_mask");
  torch::Tensor n = require_tensor(in, "answer_n").to(at::kLong).cpu();
  torch::Tensor w = on_device(require_tensor(in, "answer_weights").to(at::kFloat));
  if (replace) {
    q_ids = with_first_token(q_ids, cfg_.enc_token_id);
    a_ids = with_first_token(a_ids, cfg_.bos_token_id);
  }
  const int64_t B = q_ids.size(0);
  check(n.dim() == 1 && n.size(0) == B, kErrShape, "'answer_n' must give the number of answers of each question");
  check(n.sum().item<int64_t>() == a_ids.size(0) && w.size(0) == a_ids.size(0), kErrShape,
        "'answer_n' must sum to the number of answer rows, and 'answer_weights' must have one weight per answer");
  torch::Tensor loss;
  {
    AutocastScope amp(device_, autocast_dtype(), autocast_enabled());
    torch::Tensor visual = encode_visual(pixels(in, "pixels"));
    cap("vit_last_hidden", visual);
    torch::Tensor q = encode_question(visual, q_ids, q_mask);
    cap("question_last_hidden", q);
    torch::Tensor rows = torch::repeat_interleave(torch::arange(B, at::kLong), n).to(device_);
    torch::Tensor states = q.index_select(0, rows), states_mask = q_mask.index_select(0, rows);
    cap("decoder_encoder_hidden_states", states);
    cap("decoder_encoder_attention_mask", states_mask);
    torch::Tensor targets = lm_targets(a_ids, cfg_.pad_token_id);
    cap("answer_targets", targets);
    torch::Tensor h = decode_hidden(a_ids, a_mask, states, states_mask);
    if (capture) cap("decoder_logits", text_decoder->logits(h));
    torch::Tensor per_answer = lm_loss_per_sequence(*text_decoder, h, targets, cfg_.label_smoothing);
    cap("answer_loss_per_answer", per_answer);
    loss = (w * per_answer).sum() / static_cast<double>(B);
  }
  cap("vqa_loss", loss);
  Options stats;
  if (training && o.get_bool("backward", true)) stats = backward_and_step(loss, o);
  stats.set("loss", loss.item<double>());
  out.info = stats;
  return out;
}

Result VqaModel::rank(const TensorMap& in, const Options& o) {
  torch::InferenceMode guard(true);
  AutocastScope amp(device_, autocast_dtype(), autocast_enabled());
  Result out;
  const bool capture = o.get_bool("capture", false);
  auto cap = [&](const std::string& n, const torch::Tensor& t) {
    if (capture) out.tensors.emplace_back(n, t);
  };
  torch::Tensor q_ids = ids_input(in, "question_input_ids"), q_mask = ids_input(in, "question_attention_mask");
  torch::Tensor ans = ids_input(in, "answer_list_input_ids"), ans_mask = ids_input(in, "answer_list_attention_mask");
  if (o.get_bool("replaceFirstToken", true)) {
    q_ids = with_first_token(q_ids, cfg_.enc_token_id);
    ans = with_first_token(ans, cfg_.bos_token_id);
  }
  const int64_t B = q_ids.size(0), A = ans.size(0);
  check(ans.size(1) >= 2, kErrShape, "answer list ids need at least [DEC] and one token");
  const int64_t k = std::min<int64_t>(o.get_int("k", 128), A);
  check(k >= 1, kErrArg, "k must be at least 1");
  // The official code scores the shortlist by its label-smoothed loss; 'log-likelihood' drops the
  // smoothing term, which otherwise costs every extra answer token about 0.1 * log(vocabulary).
  const std::string score = o.get_string("score", "smoothed");
  check(score == "smoothed" || score == "log-likelihood", kErrArg, "score must be 'smoothed' or 'log-likelihood', got '" + score + "'");
  const double smoothing = score == "smoothed" ? cfg_.label_smoothing : 0.0;
  torch::Tensor visual = encode_visual(pixels(in, "pixels"));
  torch::Tensor q = encode_question(visual, q_ids, q_mask);
  cap("rank_question_last_hidden", q);
  torch::Tensor start_ids = ans.select(1, 0).slice(0, 0, 1).repeat({B, 1});
  torch::Tensor start_logits = text_decoder->logits(decode_hidden(start_ids, torch::ones_like(start_ids), q, q_mask)).select(1, 0).to(at::kFloat);
  cap("rank_start_logits", start_logits);
  torch::Tensor prob_first = torch::softmax(start_logits, 1).index_select(1, ans.select(1, 1));
  cap("rank_prob_first_token", prob_first);
  auto top = prob_first.topk(k, 1);
  torch::Tensor topk_probs = std::get<0>(top), topk_ids = std::get<1>(top);
  cap("rank_topk_probs", topk_probs);
  cap("rank_topk_ids", topk_ids);
  torch::Tensor flat = topk_ids.reshape({-1});
  torch::Tensor input_ids = ans.index_select(0, flat), input_atts = ans_mask.index_select(0, flat);
  cap("rank_decoder_input_ids", input_ids);
  torch::Tensor targets = lm_targets(input_ids, cfg_.pad_token_id);
  torch::Tensor states = torch::repeat_interleave(q, k, 0), states_mask = torch::repeat_interleave(q_mask, k, 0);
  torch::Tensor h = decode_hidden(input_ids, input_atts, states, states_mask);
  if (capture) cap("rank_decoder_logits", text_decoder->logits(h));
  torch::Tensor log_probs_sum = -lm_loss_per_sequence(*text_decoder, h, targets, smoothing);
  log_probs_sum = log_probs_sum.view({B, k});
  cap("rank_log_probs_sum", log_probs_sum);
  torch::Tensor best = log_probs_sum.argmax(1);
  torch::Tensor max_ids = topk_ids.gather(1, best.unsqueeze(1)).squeeze(1);
  out.tensors.emplace_back("rank_max_ids", max_ids);
  if (!capture) {
    out.tensors.emplace_back("rank_topk_ids", topk_ids);
    out.tensors.emplace_back("rank_log_probs_sum", log_probs_sum);
  }
  return out;
}

Result VqaModel::generate(const TensorMap& in, const Options& o) {
  torch::InferenceMode guard(true);
  AutocastScope amp(device_, autocast_dtype(), autocast_enabled());
  torch::Tensor q_ids = ids_input(in, "question_input_ids"), q_mask = ids_input(in, "question_attention_mask");
  if (o.get_bool("replaceFirstToken", true)) q_ids = with_first_token(q_ids, cfg_.enc_token_id);
  const int64_t B = q_ids.size(0);
  const GenerationSettings s = generation_settings(o);
  torch::Tensor visual = encode_visual(pixels(in, "pixels"));
  torch::Tensor q = encode_question(visual, q_ids, q_mask);
  // As blip_vqa.py: question states repeated per beam, cross-attention mask all ones.
  torch::Tensor states = torch::repeat_interleave(q, s.num_beams, 0);
  DecoderRunner runner(text_decoder, states, torch::Tensor());
  torch::Tensor bos = torch::full({B * s.num_beams, 1}, cfg_.bos_token_id, q_ids.options());
  GenerationOutput g = s.num_beams == 1 ? greedy_search(runner.step_fn(), bos, s, false)
                                        : beam_search(runner.step_fn(), runner.reorder_fn(), bos, s);
  Result out;
  append_generation(g, out);
  return out;
}

bool VqaModel::run_task(const std::string& op, const TensorMap& in, const Options& o, Result& out) {
  if (op != "rank") return run_lm_op(op, in, o, out);
  root_->train(false);
  out = rank(in, o);
  return true;
}

}  // namespace ua
