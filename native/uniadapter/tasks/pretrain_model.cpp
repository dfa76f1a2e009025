#include "uniadapter/tasks/pretrain_model.h"

#include "uniadapter/train/amp.h"
#include "uniadapter/runtime/error.h"
#include "uniadapter/tasks/lm_loss.h"
#include "uniadapter/runtime/tensor_util.h"
#include "uniadapter/nn/weight_init.h"

namespace ua {

namespace {

// One submodule object under two parents. (Not named tie: std::tie, found by argument-dependent
// lookup, is the better match for these arguments and would silently do nothing.)
template <typename Holder>
void share_submodule(torch::nn::Module& owner, const std::string& name, Holder& slot, const Holder& shared) {
  owner.replace_module(name, shared);
  slot = shared;
}

void check_tieable(const TextConfig& enc, const TextConfig& dec) {
  check(enc.hidden == dec.hidden && enc.layers == dec.layers && enc.heads == dec.heads && enc.intermediate == dec.intermediate &&
            enc.vocab_size == dec.vocab_size && enc.max_position == dec.max_position,
        kErrConfig,
        "pretraining ties the text decoder to the text encoder: 'decoder' must have the same vocabSize, hidden, layers, heads, "
        "intermediate and maxPosition as 'text'");
}

}  // namespace

PretrainModel::PretrainModel(const TaskConfig& c) : RetrievalModel(c, Unfinished{}) {
  check(!c.petl.uses_uniadapter(), kErrConfig,
        "pretraining trains the whole backbone: use petl.method 'full' (UniAdapter is for the downstream tasks)");
  check(!c.momentum_shares_backbone, kErrConfig,
        "pretraining trains the backbone, so its momentum encoders must be copies: set momentumSharesBackbone to false");
  check(c.decoder.encoder_width == c.vision.width, kErrConfig, "'decoder.encoderWidth' must equal the ViT width");
  check_tieable(c.text, c.decoder);
  text_decoder = root_->register_module("text_decoder", BertLMHeadModel(c.decoder));
  BertModelImpl& enc = *text_encoder;
  BertModelImpl& dec = *text_decoder->bert;
  share_submodule(dec, "embeddings", dec.embeddings, enc.embeddings);
  for (int64_t i = 0; i < enc.encoder->num_layers(); ++i) {
    BertLayerImpl& e = enc.encoder->layer_at(i);
    BertLayerImpl& d = dec.encoder->layer_at(i);
    share_submodule(d, "crossattention", d.crossattention, e.crossattention);
    share_submodule(d, "intermediate", d.intermediate, e.intermediate);
    share_submodule(d, "output", d.output, e.output);
  }
  registry_.declare(*text_decoder, "textDecoder", ParamRole::Backbone);
  registry_.declare(*text_decoder->cls, "heads", ParamRole::Head);
  finish_construction();
}

void PretrainModel::apply_initial_values() {
  torch::NoGradGuard g;
  init_backbone(*text_decoder, cfg_.backbone_init);
  // The encoder's initial values (and the momentum copies made from them) win for the shared tensors.
  RetrievalModel::apply_initial_values();
}

Result PretrainModel::pretrain_step(const TensorMap& in, const Options& o) {
  Result out;
  const bool capture = o.get_bool("capture", false);
  root_->train(o.get_bool("train", true));
  const int64_t B = require_tensor(in, "pixels").size(0);
  torch::Tensor idx = (torch::arange(B, at::kLong) + pairs_seen_).view({-1, 1}).to(device_);
  ItcItmLosses l = itc_itm_losses(in, o, idx, out);
  torch::Tensor loss_lm;
  {
    AutocastScope amp(device_, autocast_dtype(), autocast_enabled());
    torch::Tensor dec_ids = with_first_token(l.input_ids, cfg_.bos_token_id);
    torch::Tensor targets = lm_targets(dec_ids, cfg_.pad_token_id, 0);
    CrossContext ctx;
    ctx.states = l.image_tokens;
    torch::Tensor h = text_decoder->bert->forward(dec_ids, l.attention_mask, TextMode::Multimodal, true, &ctx);
    loss_lm = lm_loss_mean(*text_decoder, h, targets, cfg_.label_smoothing);
  }
  torch::Tensor loss = l.ita + l.itm + loss_lm;
  if (capture) {
    out.tensors.emplace_back("loss_lm", loss_lm.detach());
    out.tensors.emplace_back("loss", loss.detach());
  }
  Options stats;
  if (o.get_bool("backward", true)) stats = backward_and_step(loss, o);
  pairs_seen_ += B;
  stats.set("loss", loss.item<double>());
  stats.set("lossIta", l.ita.item<double>());
  stats.set("lossItm", l.itm.item<double>());
  stats.set("lossLm", loss_lm.item<double>());
  stats.set("temp", temp.item<double>());
  out.info = stats;
  return out;
}

bool PretrainModel::run_task(const std::string& op, const TensorMap& in, const Options& o, Result& out) {
  if (op == "train_step") {
    check(!find_tensor(in, "idx").has_value(), kErrArg,
          "pretraining takes no 'idx': every pair is its own positive (BLIP_Pretrain); remove it from the inputs");
    out = pretrain_step(in, o);
    return true;
  }
  return RetrievalModel::run_task(op, in, o, out);
}

}  // namespace ua
