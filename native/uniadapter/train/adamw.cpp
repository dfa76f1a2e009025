#include "uniadapter/train/adamw.h"

#include <cmath>

#include "uniadapter/runtime/error.h"
#include "uniadapter/runtime/tensor_util.h"

namespace ua {

void AdamW::reset(const std::vector<std::string>& names, const std::vector<torch::Tensor>& params) {
  names_ = names;
  params_ = params;
  exp_avg_.assign(params.size(), torch::Tensor());
  exp_avg_sq_.assign(params.size(), torch::Tensor());
  step_.assign(params.size(), 0);
  decay_.assign(params.size(), true);
  steps_ = 0;
}

void AdamW::step(const AdamWSettings& s) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor& p = params_[i];
    const torch::Tensor& g = p.grad();
    if (!g.defined()) continue;
    if (!exp_avg_[i].defined()) {
      exp_avg_[i] = torch::zeros_like(p, at::MemoryFormat::Preserve);
      exp_avg_sq_[i] = torch::zeros_like(p, at::MemoryFormat::Preserve);
    }
    step_[i] += 1;
    const double wd = decay_[i] ? s.weight_decay : 0.0;
    p.mul_(1 - s.lr * wd);
    exp_avg_[i].mul_(s.beta1).add_(g, 1 - s.beta1);
    exp_avg_sq_[i].mul_(s.beta2).addcmul_(g, g, 1 - s.beta2);
    const double step = static_cast<double>(step_[i]);
    const double bc1 = 1 - std::pow(s.beta1, step);
    const double bc2 = 1 - std::pow(s.beta2, step);
    const double step_size = s.lr / bc1;
    torch::Tensor denom = (exp_avg_sq_[i].sqrt() / std::sqrt(bc2)).add_(s.eps);
    p.addcdiv_(exp_avg_[i], denom, -step_size);
  }
  ++steps_;
}

TensorMap AdamW::state() const {
  TensorMap m;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!exp_avg_[i].defined()) continue;
    m.emplace_back("exp_avg." + names_[i], exp_avg_[i]);
    m.emplace_back("exp_avg_sq." + names_[i], exp_avg_sq_[i]);
    m.emplace_back("step." + names_[i], torch::full({}, step_[i], at::kLong));
  }
  m.emplace_back("steps", torch::full({}, steps_, at::kLong));
  return m;
}

void AdamW::load_state(const TensorMap& m) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    auto a = find_tensor(m, "exp_avg." + names_[i]);
    auto b = find_tensor(m, "exp_avg_sq." + names_[i]);
    auto st = find_tensor(m, "step." + names_[i]);
    if (!a && !b && !st) {
      exp_avg_[i] = torch::Tensor();
      exp_avg_sq_[i] = torch::Tensor();
      step_[i] = 0;
      continue;
    }
    check(a && b && st, kErrState, "optimizer state for '" + names_[i] + "' is incomplete");
    check(a->sizes() == params_[i].sizes() && b->sizes() == params_[i].sizes(), kErrShape,
          "optimizer state for '" + names_[i] + "' has shape " + shape_str(*a) + ", the parameter " +
              shape_str(params_[i]));
    exp_avg_[i] = a->to(params_[i].options()).clone();
    exp_avg_sq_[i] = b->to(params_[i].options()).clone();
    step_[i] = st->item<int64_t>();
  }
  if (auto s = find_tensor(m, "steps")) steps_ = s->item<int64_t>();
}

}  // namespace ua
