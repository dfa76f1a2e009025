// BLIP_Decoder (salesforce/BLIP models/blip.py) for captioning: ViT + a causal text decoder that
// cross-attends to the image tokens, with the prompt "a picture of ". With UniAdapter (a design the
// official code lacks, ARCHITECTURE_SPEC 8.3.3) adapter i serves ViT block i and decoder layer i.
#pragma once
#include "uniadapter/nn/med.h"
#include "uniadapter/tasks/task_model.h"
#include "uniadapter/nn/vit.h"

namespace ua {

class CaptionModel : public TaskModel {
 public:
  explicit CaptionModel(const TaskConfig& config);

 protected:
  bool run_task(const std::string& op, const TensorMap& in, const Options& o, Result& out) override;
  void apply_initial_values() override;

 private:
  Result forward(const TensorMap& in, const Options& o, bool training) override;
  Result generate(const TensorMap& in, const Options& o) override;

  VisionTransformer visual_encoder{nullptr};
  BertLMHeadModel text_decoder{nullptr};
};

}  // namespace ua
