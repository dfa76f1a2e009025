// BLIP_Retrieval with UniAdapter (RERV/UniAdapter models/blip_retrieval.py): ViT + text encoder, ITC
// projections with momentum encoders and feature queues, the ITM head with hard negatives, images and
// videos (frames concatenated as cross-attention memory, frame-aware attention in the ITM passes).
#pragma once
#include "uniadapter/nn/med.h"
#include "uniadapter/tasks/task_model.h"
#include "uniadapter/nn/vit.h"

namespace ua {

class RetrievalModel : public TaskModel {
 public:
  explicit RetrievalModel(const TaskConfig& config);

 protected:
  // For a model that registers more modules (pretraining): it calls finish_construction() itself.
  struct Unfinished {};
  RetrievalModel(const TaskConfig& config, Unfinished);
  void finish_construction();

  bool run_task(const std::string& op, const TensorMap& in, const Options& o, Result& out) override;
  bool heads_train_with_petl() const override { return true; }
  void apply_initial_values() override;
  void after_load(const std::vector<std::string>& loaded) override;

  // The ITC (momentum distillation, queues) and ITM (hard negatives) losses of one batch of pairs,
  // with what a caller may add losses from. idx: [B, 1] on the device (equal ids are positives).
  struct ItcItmLosses {
    torch::Tensor ita, itm;
    torch::Tensor image_tokens;  // [B, T*N, D], the ITM cross-attention memory of the positives
    torch::Tensor input_ids, attention_mask;
  };
  ItcItmLosses itc_itm_losses(const TensorMap& in, const Options& o, const torch::Tensor& idx, Result& out);

  struct ImageEmbeds {
    torch::Tensor tokens;      // [B, T, N, D]
    torch::Tensor cls_mean;    // [B, D]
    torch::Tensor proj_raw;    // [B, E]
    torch::Tensor feat;        // [B, E]
    torch::Tensor frame_feat;  // [B, T, E]
  };
  struct TextEmbeds {
    torch::Tensor hidden;    // [B, L, H]
    torch::Tensor proj_raw;  // [B, E]
    torch::Tensor feat;      // [B, E]
  };

  ImageEmbeds embed_images(const torch::Tensor& pixels_btchw, bool momentum);
  TextEmbeds embed_texts(const torch::Tensor& ids, const torch::Tensor& mask, bool momentum);
  // Multimodal pass; memory [P or 1, Le, D]; frame_weights [P, T] already processed, or undefined.
  torch::Tensor itm_hidden(const torch::Tensor& enc_ids, const torch::Tensor& mask, const torch::Tensor& memory,
                           const torch::Tensor& frame_weights);
  // PFA weights per pair from text features [P, E] and per-frame features [P, T, E] (code or paper form).
  torch::Tensor pfa_weights(const torch::Tensor& sim_t2f) const;
  // The paper's PFA (Eq. 7-8): patch tokens [P, T, N, D] of frame t scaled by softmax_t(<frame CLS_t,
  // text CLS>) of raw CLS states; returns the cross-attention memory [P, T*N, D].
  torch::Tensor paper_frame_scaled(const torch::Tensor& tokens, const torch::Tensor& text_cls) const;
  torch::Tensor as_video(const torch::Tensor& px) const;  // [B,3,S,S] -> [B,1,3,S,S]

  Result encode_image(const TensorMap& in, const Options& o);
  Result encode_text(const TensorMap& in, const Options& o);
  Result itm(const TensorMap& in, const Options& o);
  Result train_step(const TensorMap& in, const Options& o);
  void momentum_update();
  void dequeue_and_enqueue(const torch::Tensor& image_feat_m, const torch::Tensor& text_feat_m, const torch::Tensor& idx);

  VisionTransformer visual_encoder{nullptr};
  BertModel text_encoder{nullptr};
  torch::nn::Linear vision_proj{nullptr}, text_proj{nullptr}, itm_head{nullptr};
  VisionTransformer visual_encoder_m{nullptr};
  BertModel text_encoder_m{nullptr};
  torch::nn::Linear vision_proj_m{nullptr}, text_proj_m{nullptr};
  torch::Tensor temp;
  torch::Tensor image_queue, text_queue, idx_queue, ptr_queue;
};

}  // namespace ua
