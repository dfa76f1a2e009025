#include "uniadapter/train/grad_scaler.h"

namespace ua {

bool GradScaler::unscale(const std::vector<torch::Tensor>& params) {
  torch::NoGradGuard no_grad;
  bool finite = true;
  const double inv = 1.0 / scale_;
  for (const auto& p : params) {
    torch::Tensor g = p.grad();
    if (!g.defined()) continue;
    g.mul_(inv);
    if (finite && !torch::isfinite(g).all().item<bool>()) finite = false;
  }
  return finite;
}

void GradScaler::update(bool found_finite) {
  if (!found_finite) {
    scale_ *= s_.backoff_factor;
    tracker_ = 0;
    return;
  }
  if (++tracker_ >= s_.growth_interval) {
    scale_ *= s_.growth_factor;
    tracker_ = 0;
  }
}

}  // namespace ua
