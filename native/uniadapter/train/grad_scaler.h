// Dynamic loss scaling for fp16 training (as torch.cuda.amp.GradScaler): gradients are unscaled
// before the step; a step whose gradients hold inf/NaN is skipped and the scale backs off; after
// `growth_interval` clean steps the scale grows.
#pragma once
#include <cstdint>
#include <vector>

#include "uniadapter/runtime/torch_all.h"

namespace ua {

struct GradScalerSettings {
  double init_scale = 65536.0;
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
};

class GradScaler {
 public:
  using Settings = GradScalerSettings;
  explicit GradScaler(Settings s = Settings()) : s_(s), scale_(s.init_scale) {}

  double scale() const { return scale_; }
  int64_t growth_tracker() const { return tracker_; }
  void set_state(double scale, int64_t tracker) {
    scale_ = scale;
    tracker_ = tracker;
  }

  // Divides the gradients by the scale; returns false when any of them is not finite.
  bool unscale(const std::vector<torch::Tensor>& params);
  // Call once per step after unscale(): adjusts the scale.
  void update(bool found_finite);

 private:
  Settings s_;
  double scale_;
  int64_t tracker_ = 0;
};

}  // namespace ua
