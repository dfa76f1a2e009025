// BLIP_VQA with UniAdapter (RERV/UniAdapter models/blip_vqa.py): the question is encoded against the
// image (or the concatenated frames of a video) by the multimodal text encoder, and a causal decoder
// that shares the same UniAdapters cross-attends to the question states to score or generate answers.
#pragma once
#include "uniadapter/nn/med.h"
#include "uniadapter/tasks/task_model.h"
#include "uniadapter/nn/vit.h"

namespace ua {

class VqaModel : public TaskModel {
 public:
  explicit VqaModel(const TaskConfig& config);

 protected:
  bool run_task(const std::string& op, const TensorMap& in, const Options& o, Result& out) override;
  void apply_initial_values() override;

 private:
  torch::Tensor encode_visual(const torch::Tensor& px);  // [B,3,S,S] or [B,T,3,S,S] -> [B, T*N, D]
  torch::Tensor encode_question(const torch::Tensor& visual, const torch::Tensor& q_ids, const torch::Tensor& q_mask);
  torch::Tensor decode_hidden(const torch::Tensor& ids, const torch::Tensor& mask, const torch::Tensor& states,
                              const torch::Tensor& states_mask);

  Result forward(const TensorMap& in, const Options& o, bool training) override;
  Result rank(const TensorMap& in, const Options& o);
  Result generate(const TensorMap& in, const Options& o) override;

  VisionTransformer visual_encoder{nullptr};
  BertModel text_encoder{nullptr};
  BertLMHeadModel text_decoder{nullptr};
};

}  // namespace ua
