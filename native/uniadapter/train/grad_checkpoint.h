// Activation (gradient) checkpointing for the frozen ViT blocks: the forward runs without keeping
// activations; backward recomputes it (with the same random state) and back-propagates through it.
#pragma once
#include <functional>

#include "uniadapter/runtime/torch_all.h"

namespace ua {

torch::Tensor checkpointed(std::function<torch::Tensor(const torch::Tensor&)> fn, const torch::Tensor& x);

}  // namespace ua
