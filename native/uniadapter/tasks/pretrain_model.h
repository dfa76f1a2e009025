// BLIP_Pretrain (salesforce/BLIP models/blip_pretrain.py): the retrieval model's ITC with momentum
// distillation and queues and ITM with hard negatives, plus a causal text decoder trained by language
// modelling on the same captions. The decoder shares every weight of the text encoder except its
// self-attention (tie_encoder_decoder_weights with skip key '/attention'): the embeddings, the
// cross-attention and the feed-forward blocks are one set of tensors, listed under both names in the
// state dict, so the checkpoint it writes serves retrieval, VQA and captioning alike.
#pragma once
#include "uniadapter/tasks/retrieval_model.h"

namespace ua {

class PretrainModel : public RetrievalModel {
 public:
  explicit PretrainModel(const TaskConfig& config);

 protected:
  bool run_task(const std::string& op, const TensorMap& in, const Options& o, Result& out) override;
  void apply_initial_values() override;

 private:
  // One step of loss_ita + loss_itm + loss_lm. Every pair is its own positive (BLIP_Pretrain's
  // identity targets): the pairs get ids that never repeat, so the queue never holds a positive.
  Result pretrain_step(const TensorMap& in, const Options& o);

  BertLMHeadModel text_decoder{nullptr};
  int64_t pairs_seen_ = 0;
};

}  // namespace ua
