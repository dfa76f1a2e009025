// Autocast scope for mixed precision (bf16 on CPU and CUDA, fp16 on CUDA) across LibTorch 1.13 and
// 2.x, whose autocast functions have different names. Autocast state is thread-local.
#pragma once
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "uniadapter/runtime/torch_all.h"

namespace ua {

class AutocastScope {
 public:
  AutocastScope(const at::Device& device, at::ScalarType dtype, bool enabled);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool cuda_ = false;
  bool prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kFloat;
};

}  // namespace ua
