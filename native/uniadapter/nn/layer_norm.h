// LayerNorm that tolerates mixed precision: under CPU autocast (LibTorch 1.13) a bf16 input meets fp32
// weights (or fp32 activations meet weights stored in bf16), which layer_norm refuses; then it runs in
// fp32, as CUDA autocast does.
#pragma once
#include "uniadapter/runtime/torch_all.h"

namespace ua {

torch::Tensor layer_norm(torch::nn::LayerNorm& m, const torch::Tensor& x);

}  // namespace ua
