// One optimizer step of a task model: backward (with loss scaling), the all-reduce, clipping, AdamW.
#include "uniadapter/tasks/task_model.h"

#include <cmath>

#include "uniadapter/runtime/error.h"

namespace ua {

Options TaskModel::backward_and_step(const torch::Tensor& loss, const Options& o) {
  Options stats;
  const bool fp16 = cfg_.loss_scaling == "dynamic" || (cfg_.loss_scaling == "auto" && cfg_.precision == "fp16");
  for (auto& p : trainable_) p.mutable_grad() = torch::Tensor();
  if (fp16) (loss * scaler_.scale()).backward();
  else loss.backward();
  if (dist_.active()) all_reduce_grads();
  bool finite = true;
  if (fp16) finite = scaler_.unscale(trainable_);
  double grad_norm = 0.0;
  {
    torch::NoGradGuard g;
    double sq = 0.0;
    for (auto& p : trainable_)
      if (p.grad().defined()) sq += p.grad().to(at::kDouble).pow(2).sum().item<double>();
    grad_norm = std::sqrt(sq);
    const double clip = o.get_double("clipGradNorm", 0.0);
    if (clip > 0 && finite && grad_norm > clip) {
      const double factor = clip / (grad_norm + 1e-6);
      for (auto& p : trainable_)
        if (p.grad().defined()) p.grad().mul_(factor);
    }
  }
  if (!std::isfinite(grad_norm)) finite = false;
  const bool update = o.get_bool("update", true);
  bool stepped = false;
  if (update && finite) {
    AdamWSettings s;
    s.lr = o.get_double("lr", 1e-5);
    s.weight_decay = o.get_double("weightDecay", 0.05);
    s.beta1 = o.get_double("beta1", 0.9);
    s.beta2 = o.get_double("beta2", 0.999);
    s.eps = o.get_double("eps", 1e-8);
    if (o.get_bool("exemptBiasNorm", false)) {
      std::vector<bool> decay;
      for (const auto& n : trainable_names_) {
        const ParamPolicy& p = registry_.of(n);
        decay.push_back(!(p.bias || p.norm));
      }
      optimizer_.set_decay_mask(decay);
    }
    optimizer_.step(s);
    stepped = true;
  }
  if (fp16 && update) scaler_.update(finite);
  stats.set("gradNorm", grad_norm);
  stats.set("stepped", stepped);
  stats.set("finite", finite);
  stats.set("lossScale", fp16 ? scaler_.scale() : 1.0);
  return stats;
}

void TaskModel::all_reduce_grads() {
  // One flattened all-reduce of the trainable gradients, then the mean over ranks (as DDP).
  torch::NoGradGuard g;
  std::vector<torch::Tensor> flat;
  for (auto& p : trainable_)
    flat.push_back((p.grad().defined() ? p.grad() : torch::zeros_like(p)).reshape({-1}).to(at::kFloat));
  torch::Tensor buf = torch::cat(flat);
  dist_.all_reduce_sum(buf);
  buf.div_(static_cast<double>(dist_.world()));
  int64_t off = 0;
  for (auto& p : trainable_) {
    const int64_t n = p.numel();
    torch::Tensor part = buf.slice(0, off, off + n).view(p.sizes()).to(p.dtype());
    if (p.grad().defined()) p.mutable_grad().copy_(part);
    else p.mutable_grad() = part.clone();
    off += n;
  }
}

}  // namespace ua
