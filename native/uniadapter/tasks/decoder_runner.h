// Runs a BertLMHeadModel as an incremental decoder for generation: self-attention keys/values and
// cross-attention keys/values are cached, rows are reordered for beam search.
#pragma once
#include <vector>

#include "uniadapter/tasks/generation.h"
#include "uniadapter/nn/med.h"

namespace ua {

class DecoderRunner {
 public:
  // memory [rows, Le, W]; memory_mask [rows, Le] (0/1) or undefined for all ones.
  DecoderRunner(BertLMHeadModel decoder, torch::Tensor memory, torch::Tensor memory_mask);

  DecoderStepFn step_fn();
  ReorderFn reorder_fn();

 private:
  BertLMHeadModel decoder_;
  CrossContext cross_;
  std::vector<LayerCache> caches_;
};

}  // namespace ua
