#include "uniadapter/tasks/decoder_runner.h"

namespace ua {

DecoderRunner::DecoderRunner(BertLMHeadModel decoder, torch::Tensor memory, torch::Tensor memory_mask)
    : decoder_(std::move(decoder)) {
  cross_.states = std::move(memory);
  if (memory_mask.defined()) cross_.mask_add = cross_attention_mask(memory_mask, cross_.states.scalar_type());
}

DecoderStepFn DecoderRunner::step_fn() {
  return [this](const torch::Tensor& new_ids, const torch::Tensor& mask) {
    torch::Tensor h = decoder_->bert->forward(new_ids, mask, TextMode::Multimodal, /*causal=*/true, &cross_, &caches_);
    return decoder_->logits(h.select(1, h.size(1) - 1));
  };
}

ReorderFn DecoderRunner::reorder_fn() {
  return [this](const torch::Tensor& rows) {
    for (auto& c : caches_) {
      c.self_k = c.self_k.index_select(0, rows);
      c.self_v = c.self_v.index_select(0, rows);
      c.cross_k = c.cross_k.index_select(0, rows);
      c.cross_v = c.cross_v.index_select(0, rows);
    }
    if (cross_.mask_add.defined()) cross_.mask_add = cross_.mask_add.index_select(0, rows);
  };
}

}  // namespace ua
