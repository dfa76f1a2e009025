#include "uniadapter/nn/pos_embed.h"

#include <cmath>

#include "uniadapter/runtime/error.h"

namespace ua {

at::Tensor interpolate_pos_embed(const at::Tensor& pos_embed, int64_t grid, int64_t extra_tokens) {
  check(pos_embed.dim() == 3 && pos_embed.size(0) == 1, kErrShape,
        "pos_embed must have shape [1, tokens, width], got " + c10::str(pos_embed.sizes()));
  const int64_t n = pos_embed.size(1) - extra_tokens;
  const int64_t orig = static_cast<int64_t>(std::sqrt(static_cast<double>(n)));
  check(orig * orig == n, kErrShape,
        "pos_embed has " + std::to_string(n) + " patch rows, which is not a square grid");
  if (orig == grid) return pos_embed;
  const int64_t d = pos_embed.size(2);
  at::NoGradGuard no_grad;
  at::Tensor x = pos_embed.to(at::kFloat).cpu();
  at::Tensor extra = x.slice(1, 0, extra_tokens);
  at::Tensor patches = x.slice(1, extra_tokens).reshape({1, orig, orig, d}).permute({0, 3, 1, 2});
  at::Tensor resized =
      at::upsample_bicubic2d(patches.contiguous(), {grid, grid}, /*align_corners=*/false, c10::nullopt, c10::nullopt);
  resized = resized.permute({0, 2, 3, 1}).flatten(1, 2);
  return at::cat({extra, resized}, 1).to(pos_embed.dtype());
}

}  // namespace ua
