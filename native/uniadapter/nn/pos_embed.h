// Positional-embedding interpolation as BLIP's loader does it (once, at load time).
#pragma once
#include <ATen/ATen.h>

namespace ua {

// pos_embed [1, extra + orig^2, D] -> [1, extra + grid^2, D] by bicubic (A = -0.75,
// align_corners = false) interpolation of the patch rows in fp32; extra (CLS) rows unchanged.
at::Tensor interpolate_pos_embed(const at::Tensor& pos_embed, int64_t grid, int64_t extra_tokens = 1);

}  // namespace ua
