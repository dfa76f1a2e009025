// AdamW with PyTorch's semantics (decoupled weight decay p *= 1 - lr*wd, then the bias-corrected
// Adam step), over the trainable tensors only; state is plain tensors so it can be checkpointed.
#pragma once
#include <string>
#include <vector>

#include "uniadapter/runtime/api.h"
#include "uniadapter/runtime/torch_all.h"

namespace ua {

struct AdamWSettings {
  double lr = 1e-5;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.05;
};

class AdamW {
 public:
  void reset(const std::vector<std::string>& names, const std::vector<torch::Tensor>& params);
  // decay[i] false exempts tensor i from weight decay (biases and norms when asked).
  void set_decay_mask(std::vector<bool> decay) { decay_ = std::move(decay); }
  // Skips tensors whose grad is undefined, as PyTorch does.
  void step(const AdamWSettings& s);
  int64_t steps() const { return steps_; }

  TensorMap state() const;  // exp_avg.<name>, exp_avg_sq.<name>, step.<name>
  void load_state(const TensorMap& m);

 private:
  std::vector<std::string> names_;
  std::vector<torch::Tensor> params_;
  std::vector<torch::Tensor> exp_avg_, exp_avg_sq_;
  std::vector<int64_t> step_;
  std::vector<bool> decay_;
  int64_t steps_ = 0;
};

}  // namespace ua
